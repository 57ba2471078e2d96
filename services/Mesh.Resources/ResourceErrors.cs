using Grpc.Core;

namespace Mesh.Resources;

/// <summary>The gRPC errors of AIP standard methods, each with a message that names the field or the rule.</summary>
public static class ResourceErrors
{
    /// <summary>INVALID_ARGUMENT: a field is missing or malformed.</summary>
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    /// <summary>NOT_FOUND: the named resource does not exist.</summary>
    public static RpcException NotFound(string name) => new(new Status(StatusCode.NotFound, $"{name} does not exist"));

    /// <summary>ALREADY_EXISTS: the id is taken.</summary>
    public static RpcException AlreadyExists(string name) => new(new Status(StatusCode.AlreadyExists, $"{name} already exists"));

    /// <summary>ABORTED: a concurrent writer won; the caller should read again and retry.</summary>
    public static RpcException Aborted(string message) => new(new Status(StatusCode.Aborted, message));

    /// <summary>FAILED_PRECONDITION: the request is well formed but the system's state refuses it.</summary>
    public static RpcException FailedPrecondition(string message) => new(new Status(StatusCode.FailedPrecondition, message));
}
