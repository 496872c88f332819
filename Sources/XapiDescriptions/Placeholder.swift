// XapiDescriptions
