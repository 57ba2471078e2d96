namespace Mesh.Registry;

/// <summary>A setting the registry refuses to start with: an operator's mistake, reported as its message alone.</summary>
public sealed class RegistryConfigurationException(string message) : Exception(message)
{
    /// <summary>Refuses the published development tokens outside Development, and an unbounded or empty audit log.</summary>
    public static void ThrowIfUnsafe(RegistryOptions options, IHostEnvironment environment)
    {
        var tokens = options.Auth.Tokens;
        var published = tokens.FindIndex(t => RegistryOptions.AuthOptions.DevelopmentTokens.Contains(t.Token));
        if (published >= 0 && !environment.IsDevelopment())
        {
            throw new RegistryConfigurationException(
                $"Registry:Auth:Tokens:{published}:Token is a published development token, accepted only when ASPNETCORE_ENVIRONMENT is Development " +
                $"(it is {environment.EnvironmentName}); configure tokens of your own");
        }

        if (options.Audit.MaxEntries <= 0)
        {
            throw new RegistryConfigurationException("Registry:Audit:MaxEntries must be a positive number of entries");
        }
    }
}
