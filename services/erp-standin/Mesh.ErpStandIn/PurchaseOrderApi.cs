namespace Mesh.ErpStandIn;

/// <summary>
/// The ERP's purchase order API under /erp/v1 (behind the same chaos switch as the ledger): place an order with an
/// Idempotency-Key and get its acknowledgement, cancel it, and list orders for reconciliation.
/// </summary>
public static class PurchaseOrderApi
{
    private const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>Maps the purchase order routes on <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapPurchaseOrders(this RouteGroupBuilder api)
    {
        api.MapPost("/purchase-orders", async (HttpRequest request, PurchaseOrderRequest order, PurchaseOrderBook book, CancellationToken ct) =>
        {
            if (KeyOf(request) is not { } key)
            {
                return MissingKey();
            }

            if (Validate(order) is { } problem)
            {
                return Results.UnprocessableEntity(problem);
            }

            return await book.PlaceAsync(key, order, ct) switch
            {
                (null, _) => Results.Conflict(new ErpError("IDEMPOTENCY_KEY_REUSED", $"{IdempotencyHeader} '{key}' was used for a different purchase order")),
                (var placed, true) => Results.Created($"/erp/v1/purchase-orders/{placed.OrderId}", placed),
                (var placed, false) => Results.Ok(placed),
            };
        });
        api.MapPost("/purchase-orders/{orderId}/cancel", async (string orderId, HttpRequest request, PurchaseOrderBook book, CancellationToken ct) =>
            KeyOf(request) is null ? MissingKey()
            : await book.CancelAsync(orderId, ct) is { } cancelled ? Results.Ok(cancelled)
            : Results.NotFound(new ErpError("NOT_FOUND", $"purchase order {orderId} does not exist")));
        api.MapGet("/purchase-orders", async (string? after, int? limit, PurchaseOrderBook book, CancellationToken ct) =>
            limit is < 1 or > 1000 ? Results.BadRequest(new ErpError("INVALID_FIELD", "limit must be 1 to 1000"))
            : await book.OrdersAsync(after, limit ?? 100, ct) is { } page ? Results.Ok(page)
            : Results.BadRequest(new ErpError("INVALID_FIELD", "after must be an order id (EPO-nnnnnnnn)")));
        return api;
    }

    private static string? KeyOf(HttpRequest request) => request.Headers[IdempotencyHeader].ToString() is { Length: > 0 and <= 200 } key ? key : null;

    private static IResult MissingKey() =>
        Results.BadRequest(new ErpError("IDEMPOTENCY_KEY_REQUIRED", $"header {IdempotencyHeader} is required (1 to 200 characters)"));

    private static ErpError? Validate(PurchaseOrderRequest order) =>
        string.IsNullOrWhiteSpace(order.Reference) ? new ErpError("INVALID_FIELD", "reference is required")
        : string.IsNullOrWhiteSpace(order.Supplier) ? new ErpError("INVALID_FIELD", "supplier is required")
        : order.Lines is not { Count: > 0 } ? new ErpError("INVALID_FIELD", "lines needs at least one line")
        : order.Lines.Select((l, i) => (l, i)).FirstOrDefault(x => x.l.Quantity <= 0 || x.l.UnitPrice is null || x.l.UnitPrice.Minor < 0) is { l: not null } bad
            ? new ErpError("INVALID_FIELD", $"lines[{bad.i}] needs a positive quantity and a unit price that is not negative")
        : null;
}
