print("xapi-git")
