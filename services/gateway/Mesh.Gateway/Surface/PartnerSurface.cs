using System.Reflection;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Options.V1;

namespace Mesh.Gateway.Surface;

/// <summary>One RPC partners may call.</summary>
/// <param name="Path">The gRPC path, "/mesh.masterdata.v1.ItemService/GetItem".</param>
/// <param name="Descriptor">The RPC's descriptor.</param>
/// <param name="Scopes">The scopes a token must carry, all of them.</param>
/// <param name="AppId">The app that implements it.</param>
/// <param name="DataScope">How a partner's own data is told apart, or null.</param>
public sealed record PartnerMethod(string Path, MethodDescriptor Descriptor, IReadOnlyList<string> Scopes, string AppId, DataScope? DataScope)
{
    /// <summary>The method's full name for people and the audit log, "mesh.masterdata.v1.ItemService.GetItem".</summary>
    public string FullName => Descriptor.FullName;
}

/// <summary>
/// The RPCs of <see cref="PartnerServices"/>, read from the contracts' descriptors at startup: every RPC a forwarder
/// overrides must declare its scopes with <c>(mesh.options.v1.partner_access)</c>, or the gateway refuses to start.
/// </summary>
public sealed class PartnerSurface
{
    private readonly Dictionary<string, PartnerMethod> byPath;

    /// <summary>Reads the surface of <paramref name="services"/>; app ids from <paramref name="appIds"/> override the defaults.</summary>
    public PartnerSurface(IEnumerable<PartnerService> services, IReadOnlyDictionary<string, string> appIds)
    {
        Services = [.. services];
        byPath = new Dictionary<string, PartnerMethod>(StringComparer.Ordinal);
        foreach (var service in Services)
        {
            var appId = appIds.TryGetValue(service.Contract.FullName, out var configured) ? configured : service.DefaultAppId;
            foreach (var method in service.Contract.Methods.Where(m => Overrides(service.Forwarder, m.Name)))
            {
                var path = $"/{service.Contract.FullName}/{method.Name}";
                byPath[path] = new PartnerMethod(path, method, ScopesOf(method), appId, service.Scope);
            }
        }
    }

    /// <summary>The services of the surface.</summary>
    public IReadOnlyList<PartnerService> Services { get; }

    /// <summary>Every partner RPC.</summary>
    public IEnumerable<PartnerMethod> Methods => byPath.Values;

    /// <summary>The partner RPC at a gRPC path, or null when partners may not call it.</summary>
    public PartnerMethod? Find(string path) => byPath.GetValueOrDefault(path);

    private static bool Overrides(Type forwarder, string rpc) =>
        forwarder.GetMethod(rpc, BindingFlags.Public | BindingFlags.Instance) is { } method && method.DeclaringType == forwarder;

    private static string[] ScopesOf(MethodDescriptor method)
    {
        var options = method.GetOptions();
        var scopes = options is not null && options.HasExtension(PartnerAccessExtensions.PartnerAccess)
            ? options.GetExtension(PartnerAccessExtensions.PartnerAccess).Scopes.Where(s => s.Trim().Length > 0).ToArray()
            : [];
        return scopes.Length > 0
            ? scopes
            : throw new GatewayConfigurationException(
                $"{method.File.Name}: {method.FullName} is forwarded to partners but declares no scope; add option (mesh.options.v1.partner_access) = {{scopes: \"...\"}} to the rpc");
    }
}
