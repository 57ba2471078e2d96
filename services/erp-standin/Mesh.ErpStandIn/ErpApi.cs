using Dapr;
using Dapr.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.ErpStandIn;

/// <summary>The ERP's HTTP JSON API (journal entries, item reads, purchase orders) and the chaos switch.</summary>
public static class ErpApi
{
    private const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>
    /// The ledger and the purchase order book in the state store ("Erp:StateStore", default "statestore") through the
    /// app's sidecar, the chaos switch, and JSON with enums as names (the chaos modes).
    /// </summary>
    public static WebApplicationBuilder AddErpStandIn(this WebApplicationBuilder builder)
    {
        var store = builder.Configuration["Erp:StateStore"] ?? "statestore";
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new Ledger(new StateBook<JournalEntry>(sp.GetRequiredService<DaprClient>(), store, "journal-entry", "JE-"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new PurchaseOrderBook(new StateBook<ErpPurchaseOrder>(sp.GetRequiredService<DaprClient>(), store, "purchase-order", "EPO-"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<Chaos>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        return builder;
    }

    /// <summary>Maps /erp/v1, behind the chaos switch.</summary>
    public static WebApplication MapErpApi(this WebApplication app)
    {
        var api = app.MapGroup("/erp/v1").AddEndpointFilter(ApplyChaosAsync).AddEndpointFilter(UnavailableWithoutStoreAsync);
        api.MapPost("/journal-entries", PostJournalEntryAsync);
        // The ERP's export: every posted entry, a page at a time, for reconciliation.
        api.MapGet("/journal-entries", async (string? after, int? limit, Ledger ledger, CancellationToken ct) =>
            limit is < 1 or > 1000 ? Results.BadRequest(new ErpError("INVALID_FIELD", "limit must be 1 to 1000"))
            : await ledger.EntriesAsync(after, limit ?? 100, ct) is { } page ? Results.Ok(page)
            : Results.BadRequest(new ErpError("INVALID_FIELD", "after must be a document number (JE-nnnnnnnn)")));
        api.MapGet("/journal-entries/{documentNumber}", async (string documentNumber, Ledger ledger, CancellationToken ct) =>
            await ledger.FindAsync(documentNumber, ct) is { } entry ? Results.Ok(entry) : Results.NotFound(new ErpError("NOT_FOUND", $"journal entry {documentNumber} does not exist")));
        api.MapGet("/items/{itemNumber}", (string itemNumber, Ledger ledger) =>
            ledger.Item(itemNumber) is { } item ? Results.Ok(item) : Results.NotFound(new ErpError("NOT_FOUND", $"item {itemNumber} does not exist")));
        api.MapPurchaseOrders();
        return app;
    }

    /// <summary>Maps /erp/admin: the chaos switch and the counters.</summary>
    public static WebApplication MapChaosApi(this WebApplication app)
    {
        var admin = app.MapGroup("/erp/admin");
        admin.MapGet("/chaos", (Chaos chaos) => Results.Ok(chaos.Settings));
        admin.MapPut("/chaos", (ChaosSettings settings, Chaos chaos) =>
        {
            chaos.Settings = settings with { DelayMs = Math.Clamp(settings.DelayMs, 0, 60_000) };
            return Results.Ok(chaos.Settings);
        });
        admin.MapGet("/chaos/hits", (Chaos chaos) => Results.Ok(chaos.Hits));
        admin.MapGet("/stats", async (Ledger ledger, CancellationToken ct) => Results.Ok(await ledger.StatsAsync(ct)));
        admin.MapGet("/purchase-orders/stats", async (PurchaseOrderBook book, CancellationToken ct) => Results.Ok(await book.StatsAsync(ct)));
        return app;
    }

    private static async Task<IResult> PostJournalEntryAsync(HttpRequest request, JournalEntryRequest entry, Ledger ledger, CancellationToken ct)
    {
        var key = request.Headers[IdempotencyHeader].ToString();
        if (key.Length is 0 or > 200)
        {
            ledger.Reject();
            return Results.BadRequest(new ErpError("IDEMPOTENCY_KEY_REQUIRED", $"header {IdempotencyHeader} is required (1 to 200 characters)"));
        }

        if (Validate(entry) is { } problem)
        {
            ledger.Reject();
            return Results.UnprocessableEntity(problem);
        }

        var (outcome, posted) = await ledger.PostAsync(key, entry, ct);
        return outcome switch
        {
            BookOutcome.Created => Results.Created($"/erp/v1/journal-entries/{posted!.DocumentNumber}", posted),
            BookOutcome.Replayed => Results.Ok(posted),
            _ => Results.Conflict(new ErpError("IDEMPOTENCY_KEY_REUSED", $"{IdempotencyHeader} '{key}' was used for a different journal entry")),
        };
    }

    private static ErpError? Validate(JournalEntryRequest entry)
    {
        if (string.IsNullOrWhiteSpace(entry.CompanyCode))
        {
            return new ErpError("INVALID_FIELD", "companyCode is required");
        }

        if (entry.Lines is not { Count: >= 2 })
        {
            return new ErpError("INVALID_FIELD", "lines needs at least two lines");
        }

        for (var i = 0; i < entry.Lines.Count; i++)
        {
            var line = entry.Lines[i];
            if ((line.Debit is null) == (line.Credit is null))
            {
                return new ErpError("INVALID_FIELD", $"lines[{i}] must have exactly one of debit or credit");
            }

            if ((line.Debit ?? line.Credit)!.Minor <= 0)
            {
                return new ErpError("INVALID_FIELD", $"lines[{i}] amount must be positive");
            }
        }

        var currencies = entry.Lines.Select(l => (l.Debit ?? l.Credit)!.Currency).Distinct().ToList();
        if (currencies.Count != 1)
        {
            return new ErpError("INVALID_FIELD", $"lines mix currencies ({string.Join(", ", currencies)})");
        }

        var debits = entry.Lines.Sum(l => l.Debit?.Minor ?? 0);
        var credits = entry.Lines.Sum(l => l.Credit?.Minor ?? 0);
        return debits == credits ? null : new ErpError("UNBALANCED", $"debits {debits} and credits {credits} differ");
    }

    private static async ValueTask<object?> ApplyChaosAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var chaos = http.RequestServices.GetRequiredService<Chaos>();
        var settings = chaos.Settings;
        if (settings.Mode != ChaosMode.Normal)
        {
            chaos.Hit(settings.Mode);
        }

        switch (settings.Mode)
        {
            case ChaosMode.Down:
                http.Abort();
                return Results.Empty;
            case ChaosMode.Unavailable:
                return Results.Problem("the ERP is unavailable", statusCode: StatusCodes.Status503ServiceUnavailable);
            case ChaosMode.Throttle:
                http.Response.Headers.RetryAfter = "1";
                return Results.Problem("too many requests", statusCode: StatusCodes.Status429TooManyRequests);
            case ChaosMode.Reject when HttpMethods.IsPost(http.Request.Method):
                return Results.UnprocessableEntity(new ErpError("PERIOD_CLOSED", "the posting period of the accounting date is closed"));
            case ChaosMode.Slow:
                await Task.Delay(settings.DelayMs, http.RequestAborted);
                break;
            case ChaosMode.LoseReply:
                // The handler runs (the entry is posted); the caller never hears back.
                await next(context);
                http.Abort();
                return Results.Empty;
        }

        return await next(context);
    }

    // The ledger and the order book live in the state store: while it cannot be reached the ERP answers 503, as a cloud
    // ERP whose database is down, and callers retry.
    private static async ValueTask<object?> UnavailableWithoutStoreAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (DaprException e) when (!context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            context.HttpContext.RequestServices.GetRequiredService<ILogger<Ledger>>().LogWarning(e, "The ERP's state store did not answer");
            return Results.Problem("the ERP's database is unavailable", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
