using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Status = Google.Rpc.Status;

namespace Mesh.Workflows.Cases;

/// <summary>
/// The errors of the case API as google.rpc.Status with details (AIP-193), so gRPC callers read them with
/// <c>GetRpcStatus()</c> and REST callers find them in the JSON body. Messages name fields and rules, never values.
/// </summary>
public static class CaseErrors
{
    /// <summary>The resource type of a case, for NOT_FOUND's ResourceInfo.</summary>
    public const string CaseType = "mesh.workflows.v1.Case";

    /// <summary>INVALID_ARGUMENT with a BadRequest naming the field.</summary>
    public static RpcException Invalid(string field, string description) => new Status
    {
        Code = (int)Code.InvalidArgument,
        Message = $"{field} {description}",
        Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } }) },
    }.ToRpcException();

    /// <summary>NOT_FOUND with the ResourceInfo of what does not exist.</summary>
    public static RpcException NotFound(string type, string name, string description) => new Status
    {
        Code = (int)Code.NotFound,
        Message = $"{name} {description}",
        Details = { Any.Pack(new ResourceInfo { ResourceType = type, ResourceName = name, Description = description }) },
    }.ToRpcException();

    /// <summary>
    /// FAILED_PRECONDITION with a PreconditionFailure: <paramref name="type"/> is a stable code callers can branch on
    /// (e.g. "NOT_REPLAYABLE"), <paramref name="subject"/> what it is about.
    /// </summary>
    public static RpcException FailedPrecondition(string type, string subject, string description) => new Status
    {
        Code = (int)Code.FailedPrecondition,
        Message = $"{subject} {description}",
        Details = { Any.Pack(new PreconditionFailure { Violations = { new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = description } } }) },
    }.ToRpcException();
}
