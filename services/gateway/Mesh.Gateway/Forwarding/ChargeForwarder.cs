using Grpc.Core;
using Mesh.Contracts.Charges.V1;

namespace Mesh.Gateway.Forwarding;

/// <summary>mesh.charges.v1.ChargeService for billing vendors: charge reads, forwarded to charges and projected by classification.</summary>
public sealed class ChargeForwarder(PartnerForwarder forwarder) : ChargeService.ChargeServiceBase
{
    /// <inheritdoc />
    public override Task<PatientCharge> GetCharge(GetChargeRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<GetChargeRequest, PatientCharge>(request, context);

    /// <inheritdoc />
    public override Task<ListChargesResponse> ListCharges(ListChargesRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<ListChargesRequest, ListChargesResponse>(request, context);
}
