// Timeline/TimelineApi.cs checks ids through this name; its owner moves it to InputRules.
global using OrderInput = DaprSaga.ServiceDefaults.InputRules;
