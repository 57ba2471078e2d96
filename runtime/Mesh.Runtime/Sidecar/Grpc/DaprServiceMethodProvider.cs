using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf.Reflection;

namespace Mesh.Runtime.Sidecar.Grpc;

/// <summary>Binds <c>dapr.proto.runtime.v1.Dapr</c> onto <see cref="DaprGrpcApi"/>.</summary>
public sealed class DaprServiceMethodProvider : DescriptorMethodProvider<DaprGrpcApi>
{
    /// <inheritdoc />
    protected override ServiceDescriptor Service => DaprReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Dapr");

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["BulkPublishEventAlpha1"] = nameof(DaprGrpcApi.BulkPublishEvent),
    };
}
