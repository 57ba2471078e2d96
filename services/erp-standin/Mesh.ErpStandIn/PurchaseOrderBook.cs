using System.Text.Json;

namespace Mesh.ErpStandIn;

/// <summary>
/// The ERP's purchase orders, in memory, as a cloud ERP's purchase order API keeps them: one order per idempotency key
/// (the same key and body acknowledge the first order again, another body is a conflict), acknowledged on receipt, and
/// cancellable until the supplier ships.
/// </summary>
public sealed class PurchaseOrderBook(TimeProvider time)
{
    private readonly object gate = new();
    private readonly Dictionary<string, (string Body, ErpPurchaseOrder Order)> byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ErpPurchaseOrder> byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> cancelKeys = new(StringComparer.Ordinal);
    private int replays;

    /// <summary>Records and acknowledges <paramref name="request"/> once per key; null when the key was used for another body.</summary>
    public (ErpPurchaseOrder? Order, bool Created) Place(string idempotencyKey, PurchaseOrderRequest request)
    {
        var body = JsonSerializer.Serialize(request);
        lock (gate)
        {
            if (byKey.TryGetValue(idempotencyKey, out var existing))
            {
                replays++;
                return (existing.Body == body ? existing.Order : null, false);
            }

            var order = new ErpPurchaseOrder($"EPO-{byId.Count + 1:D8}", "ACKNOWLEDGED", time.GetUtcNow(), request);
            byKey[idempotencyKey] = (body, order);
            byId[order.OrderId] = order;
            return (order, true);
        }
    }

    /// <summary>Cancels the order <paramref name="orderId"/> (again: the same answer); null when it does not exist.</summary>
    public ErpPurchaseOrder? Cancel(string orderId, string idempotencyKey)
    {
        lock (gate)
        {
            if (!byId.TryGetValue(orderId, out var order))
            {
                return null;
            }

            if (!cancelKeys.Add(idempotencyKey) || order.Status == "CANCELLED")
            {
                replays++;
            }

            return byId[orderId] = order with { Status = "CANCELLED" };
        }
    }

    /// <summary>Orders in id order after <paramref name="after"/> (exclusive), at most <paramref name="limit"/>.</summary>
    public List<ErpPurchaseOrder> Orders(string? after, int limit)
    {
        lock (gate)
        {
            return [.. byId.Values.Where(o => after is null || string.CompareOrdinal(o.OrderId, after) > 0).OrderBy(o => o.OrderId, StringComparer.Ordinal).Take(limit)];
        }
    }

    /// <summary>Orders acknowledged, cancelled, and calls answered again for a key seen before.</summary>
    public PurchaseOrderStats Stats()
    {
        lock (gate)
        {
            return new PurchaseOrderStats(byId.Count, byId.Values.Count(o => o.Status == "CANCELLED"), replays);
        }
    }
}
