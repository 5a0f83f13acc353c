namespace DaprSaga.ServiceDefaults;

/// <summary>Which app this process is and the one state store it owns.</summary>
public sealed record ServiceIdentity(string AppId, string StateStore);
