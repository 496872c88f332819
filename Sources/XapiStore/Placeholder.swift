// XapiStore
