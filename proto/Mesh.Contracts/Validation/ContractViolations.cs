using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Mesh.Contracts.Validation;

/// <summary>Turns broken constraints into the error a gRPC caller gets: INVALID_ARGUMENT with a <c>google.rpc.BadRequest</c>.</summary>
public static class ContractViolations
{
    /// <summary>The trailer that carries a <c>google.rpc.Status</c> with details, as gRPC's richer error model defines it.</summary>
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    /// <summary>
    /// INVALID_ARGUMENT whose message names every field and rule (never a value), with a <c>google.rpc.BadRequest</c>
    /// of one field violation each in the status details.
    /// </summary>
    public static RpcException ToRpcException(IReadOnlyList<FieldViolation> violations)
    {
        ArgumentOutOfRangeException.ThrowIfZero(violations.Count);
        var message = "invalid request: " + string.Join("; ", violations.Select(v => $"{v.Field} {v.Description} ({v.Rule})"));
        var badRequest = new BadRequest
        {
            FieldViolations =
            {
                violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = $"{v.Description} ({v.Rule})", Reason = v.Rule }),
            },
        };
        var status = new Google.Rpc.Status { Code = (int)Code.InvalidArgument, Message = message, Details = { Google.Protobuf.WellKnownTypes.Any.Pack(badRequest) } };
        return new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, message), new Metadata { { StatusDetailsTrailer, status.ToByteArray() } });
    }
}
