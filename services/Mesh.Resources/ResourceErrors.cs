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

    /// <summary>
    /// What to answer when another service could not answer a check (<paramref name="what"/>, e.g. "inventory could
    /// not confirm that locations/x holds no stock"): UNAVAILABLE, worth a retry, when its failure was transient;
    /// INTERNAL otherwise (a misconfigured app id or a refused call will not heal by retrying).
    /// </summary>
    public static RpcException DependencyFailed(string what, RpcException failure) =>
        failure.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted
            ? new(new Status(StatusCode.Unavailable, $"{what} ({failure.StatusCode}); retry"))
            : new(new Status(StatusCode.Internal, $"{what} ({failure.StatusCode}: {failure.Status.Detail})"));
}
