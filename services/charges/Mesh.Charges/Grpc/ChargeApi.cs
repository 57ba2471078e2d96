using Grpc.Core;
using Mesh.Charges.Domain;
using Mesh.Contracts.Charges.V1;
using Mesh.Resources;

namespace Mesh.Charges.Grpc;

/// <summary>
/// mesh.charges.v1.ChargeService: maps requests to the <see cref="ChargeBook"/>, which captures, prices and voids
/// charges; reads come straight from the store.
/// </summary>
public sealed class ChargeApi(ResourceStore<PatientCharge> charges, ChargeBook book) : ChargeService.ChargeServiceBase
{
    private static readonly ResourceName Items = new("items");

    /// <inheritdoc />
    public override async Task<PatientCharge> GetCharge(GetChargeRequest request, ServerCallContext context) =>
        await charges.GetAsync(ChargeBook.Charges.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListChargesResponse> ListCharges(ListChargesRequest request, ServerCallContext context)
    {
        if (request.Item.Length > 0)
        {
            Items.IdOf(request.Item, "item");
        }

        var ct = context.CancellationToken;
        Func<PatientCharge, bool> matches = charge => (request.State == ChargeState.Unspecified || charge.State == request.State) && (request.Item.Length == 0 || charge.Item == request.Item);
        if (request.RequestId.Length > 0)
        {
            return new ListChargesResponse { Charges = { await charges.MadeByRequestAsync(request.RequestId, matches, ct) } };
        }

        var (page, next) = await Paging.PageAsync(await charges.IdsAsync(ct), request.PageSize, request.PageToken, ids => charges.GetManyAsync(ids, ct), matches);
        return new ListChargesResponse { Charges = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<PatientCharge> CreateCharge(CreateChargeRequest request, ServerCallContext context) =>
        book.CaptureAsync(request.Charge ?? throw ResourceErrors.Invalid("charge is required"), request.ChargeId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<PatientCharge> VoidCharge(VoidChargeRequest request, ServerCallContext context) =>
        book.VoidAsync(ChargeBook.Charges.IdOf(request.Name, "name"), request.Reason, request.Etag, request.RequestId, context.CancellationToken);
}
