using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar.Invocation;
using Mesh.Runtime.Sidecar.PubSub;
using Mesh.Runtime.Sidecar.Secrets;
using Mesh.Runtime.Sidecar.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mesh.Runtime.Sidecar.Http;

/// <summary>The implemented subset of Dapr's HTTP API (/v1.0/...); the rest answers 501 naming the API.</summary>
public static class DaprHttpApi
{
    /// <summary>Maps the endpoints, restricted to the sidecar's HTTP port.</summary>
    public static void MapDaprHttpApi(this IEndpointRouteBuilder routes, int httpPort)
    {
        var api = routes.MapGroup("/v1.0").RequireHost($"*:{httpPort}");
        api.MapGet("/healthz", (SidecarHealth health, HttpContext context) => HealthAsync(health, outboundOnly: false, context.RequestAborted));
        api.MapGet("/healthz/outbound", (SidecarHealth health, HttpContext context) => HealthAsync(health, outboundOnly: true, context.RequestAborted));
        api.MapGet("/metadata", Metadata);
        api.MapPost("/publish/{pubsub}/{**topic}", PublishAsync);
        routes.MapPost("/v1.0-alpha1/publish/bulk/{pubsub}/{**topic}", BulkPublishAsync).RequireHost($"*:{httpPort}");
        api.MapGet("/state/{store}/{key}", GetStateAsync);
        api.MapPost("/state/{store}", SaveStateAsync);
        api.MapDelete("/state/{store}/{key}", DeleteStateAsync);
        api.MapGet("/secrets/{store}/bulk", BulkGetSecretsAsync);
        api.MapGet("/secrets/{store}/{key}", GetSecretAsync);
        api.Map("/invoke/{appId}/method/{**method}", (HttpContext context, string appId, string method, GrpcProxy proxy) => Guard(() => proxy.ForwardHttpAsync(context, appId, method)));
        api.Map("/{**rest}", (HttpContext context) => Error(StatusCodes.Status501NotImplemented, "ERR_NOT_IMPLEMENTED",
            $"{context.Request.Method} {context.Request.Path} is not implemented by the Mesh embedded runtime"));
    }

    private static IResult Metadata(SidecarSettings settings, SubscriptionRegistry subscriptions) => Results.Json(new
    {
        id = settings.App.AppId,
        runtimeVersion = "mesh",
        components = settings.Components.Select(c => new { name = c.Name, type = c.Type, version = c.Version }),
        subscriptions = subscriptions.Active.Select(s => new { pubsubname = s.PubsubName, topic = s.Topic, deadLetterTopic = s.DeadLetterTopic }),
        appConnectionProperties = new { port = settings.App.Port, protocol = settings.App.Protocol, channelAddress = settings.App.Address },
    });

    private static Task<IResult> PublishAsync(HttpContext context, string pubsub, string topic, PublishApi publish, SidecarSettings settings) => Guard(async () =>
    {
        if (!settings.PubSubs.ContainsKey(pubsub))
        {
            return Error(StatusCodes.Status404NotFound, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsub} is not found");
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        await publish.PublishAsync(pubsub, topic, body.ToArray(), context.Request.ContentType ?? "text/plain", QueryMetadata(context), context.RequestAborted);
        return Results.NoContent();
    });

    // Body: [{entryId, event, contentType, metadata}]; a JSON content type's event is the JSON value itself, any
    // other's is a string. 204 when every entry was published, else 500 listing the failed ones, as daprd answers.
    private static Task<IResult> BulkPublishAsync(HttpContext context, string pubsub, string topic, PublishApi publish, SidecarSettings settings) => Guard(async () =>
    {
        if (!settings.PubSubs.ContainsKey(pubsub))
        {
            return Error(StatusCodes.Status404NotFound, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsub} is not found");
        }

        var items = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonArray
            ?? throw new FormatException("the body must be a JSON array of entries");
        var entries = new List<BulkPublishEntry>();
        foreach (var (item, index) in items.Select((item, index) => (item as JsonObject, index)))
        {
            var entryId = item?["entryId"]?.GetValue<string>() is { Length: > 0 } id ? id : throw new FormatException($"entry {index} has no entryId");
            var contentType = item!["contentType"]?.GetValue<string>();
            var data = item["event"] switch
            {
                null => throw new FormatException($"entry {entryId} has no event"),
                JsonValue value when !IsJson(contentType) && value.TryGetValue<string>(out var text) => System.Text.Encoding.UTF8.GetBytes(text),
                var json => JsonSerializer.SerializeToUtf8Bytes(json),
            };
            var metadata = item["metadata"] is JsonObject m ? m.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "") : [];
            entries.Add(new BulkPublishEntry(entryId, data, contentType, metadata));
        }

        var failed = await publish.BulkPublishAsync(pubsub, topic, entries, QueryMetadata(context), context.RequestAborted);
        return failed.Count == 0
            ? Results.NoContent()
            : Results.Json(new { failedEntries = failed.Select(f => new { entryId = f.EntryId, error = f.Error }), errorCode = "ERR_PUBSUB_PUBLISH_MESSAGE" }, statusCode: StatusCodes.Status500InternalServerError);
    });

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private static Task<IResult> GetStateAsync(HttpContext context, string store, string key, StateApi state) => Guard(async () =>
    {
        var item = await StateApi.Guard(() => state.GetAsync(store, key, context.RequestAborted));
        if (item is null)
        {
            return Results.NoContent();
        }

        context.Response.Headers.ETag = item.ETag;
        return Results.Bytes(item.Value.ToArray(), "application/json");
    });

    private static Task<IResult> SaveStateAsync(HttpContext context, string store, StateApi state) => Guard(async () =>
    {
        var items = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonArray
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the body must be a JSON array of state items"));
        var target = state.Store(store);
        var encrypted = state.Encrypts(store);
        foreach (var item in items.OfType<JsonObject>())
        {
            var key = item["key"]?.GetValue<string>() ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "a state item has no key"));
            // Encrypted, a JSON string is stored as its text, as daprd stores it (so it reads back without quotes).
            var value = item["value"] switch
            {
                null => [],
                JsonValue text when encrypted && text.TryGetValue<string>(out var plain) => System.Text.Encoding.UTF8.GetBytes(plain),
                var v => JsonSerializer.SerializeToUtf8Bytes(v),
            };
            var concurrency = item["options"]?["concurrency"]?.GetValue<string>() == "first-write" ? StateConcurrency.FirstWrite : StateConcurrency.LastWrite;
            var ttl = item["metadata"]?["ttlInSeconds"]?.GetValue<string>() is { } raw
                ? int.TryParse(raw, out var seconds) ? seconds : throw new RpcException(new Status(StatusCode.InvalidArgument, $"ttlInSeconds '{raw}' of key {key} is not an integer"))
                : (int?)null;
            await StateApi.Guard(async () =>
            {
                await target.SetAsync(new StateSetRequest(state.StoredKey(store, key), value, item["etag"]?.GetValue<string>() is { Length: > 0 } etag ? etag : null, concurrency, ttl), context.RequestAborted);
                return true;
            });
        }

        return Results.NoContent();
    });

    private static Task<IResult> DeleteStateAsync(HttpContext context, string store, string key, StateApi state) => Guard(async () =>
    {
        var etag = context.Request.Headers.IfMatch.ToString();
        var concurrency = context.Request.Query["concurrency"] == "first-write" ? StateConcurrency.FirstWrite : StateConcurrency.LastWrite;
        await StateApi.Guard(async () =>
        {
            await state.Store(store).DeleteAsync(new StateDeleteRequest(state.StoredKey(store, key), etag.Length == 0 ? null : etag, concurrency), context.RequestAborted);
            return true;
        });
        return Results.NoContent();
    });

    // 200 with the secret's keys and values (daprd's 204 is for a store that answers no map at all, which these never do);
    // errors with daprd's statuses and codes.
    private static async Task<IResult> GetSecretAsync(HttpContext context, string store, string key, SecretsApi secrets)
    {
        try
        {
            return Results.Json(await secrets.GetAsync(store, key, QueryMetadata(context), context.RequestAborted));
        }
        catch (SecretsError e)
        {
            return Error(e.HttpStatus, e.ErrorCode, e.Status.Detail);
        }
    }

    private static async Task<IResult> BulkGetSecretsAsync(HttpContext context, string store, SecretsApi secrets)
    {
        try
        {
            return Results.Json(await secrets.BulkGetAsync(store, QueryMetadata(context), context.RequestAborted));
        }
        catch (SecretsError e)
        {
            return Error(e.HttpStatus, e.ErrorCode, e.Status.Detail);
        }
    }

    private static Dictionary<string, string> QueryMetadata(HttpContext context) =>
        context.Request.Query.Where(q => q.Key.StartsWith("metadata.", StringComparison.Ordinal))
            .ToDictionary(q => q.Key["metadata.".Length..], q => q.Value.ToString());

    // The HTTP API reports errors as daprd does: a status code and {errorCode, message}.
    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RpcException e)
        {
            return e.StatusCode switch
            {
                StatusCode.Aborted => Error(StatusCodes.Status409Conflict, "ERR_STATE_SAVE", e.Status.Detail),
                StatusCode.NotFound => Error(StatusCodes.Status404NotFound, "ERR_NOT_FOUND", e.Status.Detail),
                StatusCode.FailedPrecondition => Error(StatusCodes.Status400BadRequest, "ERR_NOT_CONFIGURED", e.Status.Detail),
                StatusCode.Internal when e.Status.Detail.StartsWith("fail to get ", StringComparison.Ordinal) => Error(StatusCodes.Status500InternalServerError, "ERR_STATE_GET", e.Status.Detail),
                _ => Error(StatusCodes.Status400BadRequest, "ERR_BAD_REQUEST", e.Status.Detail),
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return Error(StatusCodes.Status400BadRequest, "ERR_MALFORMED_REQUEST", $"the request body is malformed: {e.Message}");
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or IOException)
        {
            return Error(StatusCodes.Status500InternalServerError, "ERR_COMPONENT", $"the component failed: {e.GetType().Name}");
        }
    }

    private static Task<IResult> Guard(Func<Task> action) => Guard(async () =>
    {
        await action();
        return Results.Empty;
    });

    // daprd: 204 when healthy, else 500 with ERR_HEALTH_NOT_READY.
    private static async Task<IResult> HealthAsync(SidecarHealth health, bool outboundOnly, CancellationToken cancellationToken) =>
        await health.ProblemAsync(outboundOnly, cancellationToken) is { } problem
            ? Error(StatusCodes.Status500InternalServerError, "ERR_HEALTH_NOT_READY", problem)
            : Results.NoContent();

    private static IResult Error(int status, string code, string message) => Results.Json(new { errorCode = code, message }, statusCode: status);
}
