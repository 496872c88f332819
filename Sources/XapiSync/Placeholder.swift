// XapiSync
