using Mesh.Contracts.Procurement.V1;

namespace Mesh.Procurement.Domain;

/// <summary>The ERP's purchase order API, which transmits orders to suppliers; every call carries an idempotency key derived from the order.</summary>
public interface IErpPurchaseOrders
{
    /// <summary>Sends <paramref name="order"/>; the ERP keeps one order per key and acknowledges it with its id.</summary>
    Task<ErpOrderOutcome> SendAsync(PurchaseOrder order, CancellationToken ct);

    /// <summary>Cancels the ERP's order <paramref name="erpOrderId"/>, which was sent for <paramref name="order"/>.</summary>
    Task<ErpOrderOutcome> CancelAsync(PurchaseOrder order, string erpOrderId, CancellationToken ct);
}

/// <summary>What became of a call to the ERP's purchase order API.</summary>
public abstract record ErpOrderOutcome;

/// <summary>The ERP acknowledged the order (or its cancellation), now or before under the same key.</summary>
/// <param name="OrderId">The ERP's order id.</param>
public sealed record ErpOrderAcknowledged(string OrderId) : ErpOrderOutcome;

/// <summary>The ERP refused the call; repeating it as it is will not help.</summary>
/// <param name="Code">The ERP's error code.</param>
/// <param name="Message">The ERP's message.</param>
public sealed record ErpOrderRefused(string Code, string Message) : ErpOrderOutcome;

/// <summary>The ERP did not answer, or kept answering 429/5xx; a later retry with the same key may land.</summary>
/// <param name="Reason">What the last attempt saw.</param>
public sealed record ErpOrderUnreachable(string Reason) : ErpOrderOutcome;
