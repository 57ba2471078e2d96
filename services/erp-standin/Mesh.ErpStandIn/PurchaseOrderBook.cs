using System.Text.Json;

namespace Mesh.ErpStandIn;

/// <summary>
/// The ERP's purchase orders, kept in its state store (<see cref="StateBook{T}"/>) as a cloud ERP's purchase order API
/// keeps them: one order per idempotency key (the same key and body acknowledge the first order again, another body is
/// a conflict, across concurrent requests and restarts), acknowledged on receipt, and cancellable until the supplier ships.
/// </summary>
public sealed class PurchaseOrderBook(StateBook<ErpPurchaseOrder> orders, TimeProvider time)
{
    private const string Cancelled = "CANCELLED";
    private const int StatsPage = 1000;
    private int replays;

    /// <summary>Records and acknowledges <paramref name="request"/> once per key; null when the key was used for another body.</summary>
    public async Task<(ErpPurchaseOrder? Order, bool Created)> PlaceAsync(string idempotencyKey, PurchaseOrderRequest request, CancellationToken ct)
    {
        var (outcome, order) = await orders.AddOnceAsync(idempotencyKey, JsonSerializer.Serialize(request), id => new ErpPurchaseOrder(id, "ACKNOWLEDGED", time.GetUtcNow(), request), ct);
        if (outcome != BookOutcome.Created)
        {
            Interlocked.Increment(ref replays);
        }

        return (order, outcome == BookOutcome.Created);
    }

    /// <summary>Cancels the order <paramref name="orderId"/> (again, with any key: the same answer); null when it does not exist.</summary>
    public async Task<ErpPurchaseOrder?> CancelAsync(string orderId, CancellationToken ct)
    {
        var again = false;
        var cancelled = await orders.ChangeAsync(orderId, order =>
        {
            again = order.Status == Cancelled;
            return order with { Status = Cancelled };
        }, ct);
        if (cancelled is not null && again)
        {
            Interlocked.Increment(ref replays);
        }

        return cancelled;
    }

    /// <summary>
    /// Orders in id order after <paramref name="after"/> (exclusive), at most <paramref name="limit"/>; null when
    /// <paramref name="after"/> is not an order id.
    /// </summary>
    public Task<List<ErpPurchaseOrder>?> OrdersAsync(string? after, int limit, CancellationToken ct) => orders.PageAsync(after, limit, ct);

    /// <summary>Orders acknowledged and cancelled, and calls this process answered again for a key or order seen before.</summary>
    public async Task<PurchaseOrderStats> StatsAsync(CancellationToken ct)
    {
        var cancelled = 0;
        string? after = null;
        while (await orders.PageAsync(after, StatsPage, ct) is { Count: > 0 } page)
        {
            cancelled += page.Count(o => o.Status == Cancelled);
            after = page[^1].OrderId;
        }

        return new PurchaseOrderStats((int)await orders.CountAsync(ct), cancelled, Volatile.Read(ref replays));
    }
}
