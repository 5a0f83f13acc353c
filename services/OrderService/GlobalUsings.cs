// Only Timeline/TimelineApi.cs uses this name; delete this file once it checks ids with InputRules.
global using OrderInput = DaprSaga.ServiceDefaults.InputRules;
