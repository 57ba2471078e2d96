using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement.Domain;
using Polly;

namespace Mesh.Procurement.Infrastructure;

/// <summary>
/// The ERP's purchase order API (POST /erp/v1/purchase-orders, POST /erp/v1/purchase-orders/{id}/cancel), reached by Dapr
/// service invocation behind the resilience handler, which retries 429/5xx and connection failures within a bounded
/// time. Retrying is safe: each call carries an Idempotency-Key derived from the order ("{order}:send",
/// "{order}:cancel") and the same body, so the ERP keeps one order and acknowledges it again.
/// </summary>
public sealed class ErpPurchaseOrderClient(HttpClient http) : IErpPurchaseOrders
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public Task<ErpOrderOutcome> SendAsync(PurchaseOrder order, CancellationToken ct) =>
        CallAsync("erp/v1/purchase-orders", $"{order.Name}:send", new OrderBody(
            order.PoNumber,
            order.Supplier,
            order.ShipToLocation,
            [.. order.Lines.Select(l => new OrderLine(l.LineNumber, l.Item, l.OrderedQuantity.ToDecimal(), l.OrderedQuantity.Unit, new Amount(order.CurrencyCode, (long)(l.UnitPrice.ToDecimal() * 100))))]), ct);

    /// <inheritdoc />
    public Task<ErpOrderOutcome> CancelAsync(PurchaseOrder order, string erpOrderId, CancellationToken ct) =>
        CallAsync($"erp/v1/purchase-orders/{Uri.EscapeDataString(erpOrderId)}/cancel", $"{order.Name}:cancel", new { reason = "cancelled in Mesh" }, ct);

    private async Task<ErpOrderOutcome> CallAsync<TBody>(string path, string key, TBody body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.Add("Idempotency-Key", key);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            return new ErpOrderUnreachable(e.Message);
        }
        catch (ExecutionRejectedException e) when (!ct.IsCancellationRequested)
        {
            // The total timeout ran out or the circuit is open.
            return new ErpOrderUnreachable(e.Message);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                var acknowledged = await response.Content.ReadFromJsonAsync<Acknowledgement>(Json, ct);
                return acknowledged is { OrderId.Length: > 0 } ? new ErpOrderAcknowledged(acknowledged.OrderId) : new ErpOrderUnreachable("an answer without an order id");
            }

            if ((int)response.StatusCode is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                var error = await ErrorOfAsync(response, ct);
                return new ErpOrderRefused(error?.Code ?? $"HTTP_{(int)response.StatusCode}", error?.Message ?? "refused");
            }

            return new ErpOrderUnreachable($"HTTP {(int)response.StatusCode} after retries");
        }
    }

    private static async Task<ErrorBody?> ErrorOfAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ErrorBody>(Json, ct);
        }
        catch (JsonException)
        {
            // Not the ERP's error body, e.g. a proxy's page.
            return null;
        }
    }

    private sealed record Amount(string Currency, long Minor);

    private sealed record OrderLine(int LineNumber, string Item, decimal Quantity, string Unit, Amount UnitPrice);

    private sealed record OrderBody(string Reference, string Supplier, string ShipTo, IReadOnlyList<OrderLine> Lines);

    private sealed record Acknowledgement(string OrderId, string Status);

    private sealed record ErrorBody(string Code, string Message);
}
