using System.Globalization;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Inventory.Storage;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// Records stock movements. A movement, the balance it changes (and, for a reversal, the mark on the reversed
/// movement) commit in one state transaction, each write at the ETag it was computed from, so racing movements
/// on one balance serialize instead of losing updates, and a retried request id returns the first movement
/// without moving stock again. Stock never goes negative: such a movement is FAILED_PRECONDITION. The movement's
/// events (StockAdjusted for anything but a consumption, ReorderPointReached when it takes the balance below its
/// reorder point) commit in the same transaction.
/// </summary>
public sealed class StockLedger(ResourceStore<InventoryBalance> balances, ResourceStore<StoredStockMovement> movements, ContractEvents events, TimeProvider time)
{
    // A busy balance is contended by every movement on it; each lost race costs one fresh read.
    private const int Attempts = 40;

    /// <summary>Records the movement and applies it to its balance; returns it with its outputs set.</summary>
    public async Task<StockMovement> RecordAsync(MovementRequest request, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var id = NewId(now);
        var movementId = InventoryNames.StoreId(request.Location, id);
        var balanceId = InventoryNames.StoreId(request.Location, request.Item);
        var reversedId = request.Reverses is { } reverses ? InventoryNames.StoreId(request.Location, reverses) : null;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var balance = await balances.GetAsync(balanceId, ct);
            if (balance is null && request.Draft.Delta.Sign() > 0)
            {
                await OpenAsync(request, balanceId, ct);
                continue;
            }

            // CreateAsync encodes the movement before it asks for the other operations, so the movement's outputs
            // (on_hand_after, reorder_point_crossed) are planned from this read, and the transaction only goes
            // ahead while the read is still current.
            var reversed = reversedId is null ? null : await movements.GetAsync(reversedId, ct);
            var plan = Plan(request, id, Timestamp.FromDateTimeOffset(now), balance, reversed);
            try
            {
                var created = await movements.CreateAsync(movementId, plan.Movement, request.RequestId, ct, async token =>
                {
                    // Refusals wait until here, after the store found no earlier movement of this request id, so a
                    // retry of a movement that succeeded returns it even when it would be refused now.
                    if (await ETagOf(balances, balanceId, token) != (balance?.Etag ?? "")
                        || (reversed is not null && await ETagOf(movements, reversedId!, token) != reversed.Etag))
                    {
                        throw new StaleReadException();
                    }

                    return plan.Refusal is null ? plan.Operations : throw plan.Refusal;
                }, plan.Events);
                return created.Movement;
            }
            catch (StaleReadException)
            {
                // The balance changed since it was read: plan again from a fresh read.
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
            {
                // The store's own retries ran out against concurrent creates: nothing was written, try again.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + (5 * Math.Min(attempt, 10)))), ct);
        }

        throw ResourceErrors.Aborted($"{InventoryNames.Of(request.Location, InventoryNames.Balances, request.Item)} is too busy; retry");
    }

    // Movement ids count down with time, so listing them in id order lists the newest first.
    private static string NewId(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{DateTime.MaxValue.Ticks - now.UtcTicks:D19}-{Guid.NewGuid():N}")[..28];

    private static async Task<string> ETagOf<T>(ResourceStore<T> store, string id, CancellationToken ct)
        where T : class, IMessage<T>, new() =>
        (await store.GetAsync(id, ct))?.GetETag() ?? "";

    // The first stock of an item at a location opens its balance, empty and in the unit of the stock received.
    private async Task OpenAsync(MovementRequest request, string balanceId, CancellationToken ct)
    {
        try
        {
            await balances.CreateAsync(balanceId, BalanceRules.Open(request.Location, request.Item, request.Draft.Delta.Unit, Timestamp.FromDateTimeOffset(time.GetUtcNow())), "", ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // Another movement opened it first; the caller reads it again.
        }
    }

    private MovementPlan Plan(MovementRequest request, string id, Timestamp now, InventoryBalance? balance, StoredStockMovement? reversed)
    {
        var delta = request.Draft.Delta;
        var movement = request.Draft.Clone();
        movement.Name = InventoryNames.Of(request.Location, InventoryNames.Movements, id);
        movement.CreateTime = now;
        var stored = new StoredStockMovement { Movement = movement };
        MovementPlan Refuse(RpcException refusal) => new(stored, [], [], refusal);

        var item = movement.Item;
        var location = movement.Location;
        if (balance is null)
        {
            return Refuse(ResourceErrors.FailedPrecondition($"insufficient stock: {item} was never stocked at {location}, movement needs {delta.Negated().Display()}"));
        }

        var before = balance.OnHand;
        if (delta.Unit != before.Unit)
        {
            return Refuse(ResourceErrors.Invalid($"stock_movement.delta is in {delta.Unit} but {balance.Name} is kept in {before.Unit}"));
        }

        if (request.Reverses is not null && (reversed is null ? ResourceErrors.NotFound(movement.Reverses) : ReversalRefusal(movement, reversed)) is { } refusal)
        {
            return Refuse(refusal);
        }

        var after = before.Plus(delta);
        if (after.Sign() < 0)
        {
            return Refuse(ResourceErrors.FailedPrecondition($"insufficient stock: {item} at {location} has {before.Display()} on hand, movement needs {delta.Negated().Display()}"));
        }

        movement.OnHandAfter = after;
        movement.ReorderPointCrossed = balance.ActiveReorderPoint() is { } point && before.CompareAmount(point) >= 0 && after.CompareAmount(point) < 0;
        var updated = balance.Clone();
        updated.OnHand = after;
        updated.UpdateTime = now;
        var balanceId = InventoryNames.StoreId(request.Location, request.Item);
        List<StateTransactionRequest> operations = [balances.ReplaceOperation(balanceId, updated, balance.Etag)];
        if (reversed is not null)
        {
            var marked = reversed.Clone();
            marked.ReversedBy = movement.Name;
            operations.Add(movements.ReplaceOperation(InventoryNames.StoreId(request.Location, request.Reverses!), marked, reversed.Etag));
        }

        List<Announcement> announce = [];
        if (InventoryEvents.Adjusted(events, movement, request.RequestId) is { } adjusted)
        {
            announce.Add(movements.Announce(InventoryNames.StoreId(request.Location, id), adjusted));
        }

        if (movement.ReorderPointCrossed)
        {
            announce.Add(balances.Announce(balanceId, InventoryEvents.ReorderPointReached(events, movement, updated, request.RequestId)));
        }

        return new MovementPlan(stored, operations, announce, null);
    }

    private static RpcException? ReversalRefusal(StockMovement reversal, StoredStockMovement reversed) =>
        reversed.ReversedBy.Length > 0 ? ResourceErrors.FailedPrecondition($"{reversal.Reverses} was already reversed by {reversed.ReversedBy}")
        : reversed.Movement.Item != reversal.Item ? ResourceErrors.Invalid($"stock_movement.item must be {reversed.Movement.Item}, the item of the reversed movement")
        : !reversed.Movement.Delta.Negated().SameAs(reversal.Delta) ? ResourceErrors.Invalid($"stock_movement.delta must be {reversed.Movement.Delta.Negated().Display()}, the negation of the reversed movement's delta")
        : null;

    private sealed record MovementPlan(StoredStockMovement Movement, IEnumerable<StateTransactionRequest> Operations, IReadOnlyList<Announcement> Events, RpcException? Refusal);

    private sealed class StaleReadException : Exception;
}
