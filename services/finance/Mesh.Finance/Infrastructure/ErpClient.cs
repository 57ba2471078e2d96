using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Finance.Domain;
using Mesh.Resources;
using Polly;

namespace Mesh.Finance.Infrastructure;

/// <summary>
/// The ERP's journal entry API (POST /erp/v1/journal-entries, amounts in integer minor units), reached by Dapr service
/// invocation. The HttpClient retries 429/5xx and connection failures (honouring Retry-After) within a bounded total
/// time; retrying a POST is safe because every attempt carries the entry's Idempotency-Key and the same body, so the
/// ERP books it at most once and replays its first answer.
/// </summary>
public sealed class ErpClient(HttpClient http) : IErp
{
    private const int CentsPerUnit = 100;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly ResourceName CostCenters = new("costCenters");

    /// <inheritdoc />
    public async Task<ErpOutcome> PostAsync(JournalEntry entry, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "erp/v1/journal-entries") { Content = JsonContent.Create(ToErp(entry), options: Json) };
        request.Headers.Add("Idempotency-Key", entry.IdempotencyKey);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            return new ErpUnreachable(e.Message);
        }
        catch (ExecutionRejectedException e) when (!ct.IsCancellationRequested)
        {
            // The total timeout ran out or the circuit is open.
            return new ErpUnreachable(e.Message);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                var posted = await response.Content.ReadFromJsonAsync<PostedEntry>(Json, ct);
                return posted is { DocumentNumber.Length: > 0 }
                    ? new ErpPosted(posted.DocumentNumber, posted.PostedAt)
                    : new ErpUnreachable($"HTTP {(int)response.StatusCode} without a document number");
            }

            // 408 and 429 are the ERP asking to come back later; they were retried like 5xx.
            return (int)response.StatusCode is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                ? await RefusalAsync(response, ct)
                : new ErpUnreachable($"HTTP {(int)response.StatusCode} after retries");
        }
    }

    private static async Task<ErpRefused> RefusalAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            if (await response.Content.ReadFromJsonAsync<ErrorBody>(Json, ct) is { Code.Length: > 0 } error)
            {
                return new ErpRefused(error.Code, error.Message);
            }
        }
        catch (JsonException)
        {
            // Not the ERP's error body (e.g. a proxy's page): fall through to the status.
        }

        return new ErpRefused($"HTTP_{(int)response.StatusCode}", response.ReasonPhrase ?? "refused");
    }

    private static PostRequest ToErp(JournalEntry entry) => new(
        entry.CompanyCode,
        DateOnly.FromDateTime(entry.AccountingDate.ToDateTime()),
        entry.SourceDocument.Length > 0 ? entry.SourceDocument : entry.Name,
        [.. entry.Lines.Select(line => new PostLine(
            line.GlAccount,
            line.CostCenter.Length > 0 ? CostCenters.IdOf(line.CostCenter, "cost_center") : null,
            line.Debit is { } debit ? Minor(debit) : null,
            line.Credit is { } credit ? Minor(credit) : null,
            line.Memo.Length > 0 ? line.Memo : null))]);

    // Create refused amounts that are not whole cents, so this is exact.
    private static Amount Minor(Money money) => new(money.CurrencyCode, (long)(money.ToDecimal() * CentsPerUnit));

    private sealed record Amount(string Currency, long Minor);

    private sealed record PostLine(string Account, string? CostCenter, Amount? Debit, Amount? Credit, string? Memo);

    private sealed record PostRequest(string CompanyCode, DateOnly AccountingDate, string Reference, IReadOnlyList<PostLine> Lines);

    private sealed record PostedEntry(string DocumentNumber, DateTimeOffset PostedAt);

    private sealed record ErrorBody(string Code, string Message);
}
