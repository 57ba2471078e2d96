namespace Mesh.Console;

/// <summary>A setting the console refuses to start with: an operator's mistake, reported as its message alone.</summary>
public sealed class ConsoleConfigurationException(string message) : Exception(message)
{
    /// <summary>Refuses the dev sign-in outside Development, and a console that shows no flow.</summary>
    public static void ThrowIfUnsafe(ConsoleOptions options, IHostEnvironment environment)
    {
        if (options.DevSignIn && !environment.IsDevelopment())
        {
            throw new ConsoleConfigurationException(
                "Console:DevSignIn lets anyone sign in as any operator with the repository's dev key; it is accepted only when " +
                $"ASPNETCORE_ENVIRONMENT is Development (it is {environment.EnvironmentName})");
        }

        if (options.Flows.Count == 0)
        {
            throw new ConsoleConfigurationException("Console:Flows names no flow; list the flows of the workflows app, e.g. inventory-to-charge");
        }
    }
}
