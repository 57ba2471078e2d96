using System.Globalization;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Configuration;

namespace Mesh.Resources;

/// <summary>gRPC clients of other Dapr apps, called through this app's own sidecar (the dapr-app-id proxy).</summary>
public static class SidecarInvocation
{
    /// <summary>
    /// A call invoker that reaches <paramref name="appId"/>: the sidecar's endpoint and API token as the SDK finds
    /// them, configuration first (in-process test hosts, <c>mesh run</c>) and then the Dapr CLI's environment.
    /// </summary>
    public static CallInvoker For(IConfiguration configuration, string appId) =>
        DaprClient.CreateInvocationInvoker(appId, DaprDefaults.GetDefaultGrpcEndpoint(configuration), DaprDefaults.GetDefaultDaprApiToken(configuration));

    /// <summary>The configuration key of the <see cref="ReadCache"/> lifetime (a TimeSpan, "00:00:00" turns it off).</summary>
    public const string ReadCacheLifetimeKey = "ReadCache:Lifetime";

    /// <summary>
    /// How long a read answer stands unless <see cref="ReadCacheLifetimeKey"/> says otherwise: off, because a cached answer
    /// lets a change go unseen for its lifetime (an item made inactive could still be charged, and an operator's replay
    /// right after the change would not see it); an installation opts in knowing that.
    /// </summary>
    public static readonly TimeSpan DefaultReadCacheLifetime = TimeSpan.Zero;

    /// <summary>
    /// As <see cref="For"/>, with <paramref name="appId"/>'s standard Get calls answered from a <see cref="ReadCache"/>
    /// (reference data such as master data's items, locations and cost centers, read on every event).
    /// </summary>
    public static CallInvoker ForReads(IConfiguration configuration, string appId, TimeProvider clock) =>
        ReadCacheLifetime(configuration) is var lifetime && lifetime > TimeSpan.Zero
            ? For(configuration, appId).Intercept(new ReadCache(lifetime, clock))
            : For(configuration, appId);

    private static TimeSpan ReadCacheLifetime(IConfiguration configuration) => configuration[ReadCacheLifetimeKey] switch
    {
        null or "" => DefaultReadCacheLifetime,
        var text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var lifetime) && lifetime >= TimeSpan.Zero => lifetime,
        _ => throw new InvalidOperationException($"{ReadCacheLifetimeKey} must be a TimeSpan such as 00:00:05 (00:00:00 turns the cache off)"),
    };
}
