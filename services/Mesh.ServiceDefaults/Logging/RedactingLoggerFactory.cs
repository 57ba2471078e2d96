using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Mesh.ServiceDefaults.Logging;

/// <summary>
/// An <see cref="ILoggerFactory"/> that hands out <see cref="RedactingLogger"/>s over the stock
/// factory, so redaction happens once, before any provider sees a value.
/// </summary>
internal sealed class RedactingLoggerFactory(LoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}

/// <summary>Registration of the redacting factory.</summary>
public static class RedactingLoggingServiceCollectionExtensions
{
    /// <summary>Replaces the logger factory with one that redacts PII and PHI in message arguments and scopes.</summary>
    public static IServiceCollection AddRedactingLoggerFactory(this IServiceCollection services)
    {
        services.AddLogging();
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new RedactingLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        return services;
    }
}
