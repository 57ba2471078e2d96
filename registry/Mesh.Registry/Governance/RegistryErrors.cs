namespace Mesh.Registry.Governance;

/// <summary>Errors the shared <see cref="Mesh.Resources.ResourceErrors"/> do not cover.</summary>
internal static class RegistryErrors
{
    /// <summary>NOT_FOUND with a message that also says what does exist (ResourceErrors.NotFound says only "{name} does not exist").</summary>
    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    /// <summary>DATA_LOSS: something the registry wrote is gone.</summary>
    public static RpcException DataLoss(string message) => new(new Status(StatusCode.DataLoss, message));
}
