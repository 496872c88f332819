// XapiHTTP
