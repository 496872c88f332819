// XapiGit
