using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.AppCallback.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.Invocation;
using Mesh.Runtime.Sidecar.Resiliency;
using Mesh.Runtime.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>What the app said about one delivery.</summary>
public enum DeliveryOutcome
{
    /// <summary>Processed; acknowledge.</summary>
    Success,

    /// <summary>Try again (per the resiliency policy, then the component).</summary>
    Retry,

    /// <summary>Give up on it: dead-letter topic if set, else discard.</summary>
    Drop,
}

/// <summary>
/// Delivers messages of one subscription to the app with daprd's semantics: envelope checks, routing,
/// the app's SUCCESS / RETRY / DROP answer (HTTP status and body, or the gRPC status), retries from the
/// component's inbound resiliency policy, and the dead-letter topic, which receives the original bytes.
/// A retriable failure left after the policy with no dead-letter topic is thrown back to the component,
/// which keeps the message unacknowledged, so nothing already published is lost.
/// </summary>
public sealed class DeliveryPipeline
{
    private readonly SidecarSettings settings;
    private readonly Subscription subscription;
    private readonly AppChannels channels;
    private readonly IPubSub pubsub;
    private readonly ILogger logger;
    private readonly ResiliencePipeline<DeliveryOutcome> retries;
    private readonly CircuitBreaker? breaker;

    /// <summary>Builds the pipeline of one subscription.</summary>
    public DeliveryPipeline(SidecarSettings settings, Subscription subscription, AppChannels channels, ILogger logger)
    {
        this.settings = settings;
        this.subscription = subscription;
        this.channels = channels;
        this.logger = logger;
        pubsub = settings.PubSubs[subscription.PubsubName];
        var inbound = settings.Resiliency.ComponentInbound.GetValueOrDefault(subscription.PubsubName);
        retries = BuildRetries(inbound, settings.Time);
        breaker = inbound?.CircuitBreaker is { } policy ? new CircuitBreaker(policy, settings.Time) : null;
    }

    /// <summary>The subscription delivered.</summary>
    internal Subscription Subscription => subscription;

    /// <summary>The component's inbound resiliency policy, as a pipeline over delivery outcomes.</summary>
    internal ResiliencePipeline<DeliveryOutcome> Retries => retries;

    /// <summary>
    /// Handles one message; returning acknowledges it, throwing leaves it for redelivery. The delivery is a consumer
    /// span in the trace of the envelope's <c>traceparent</c>, counted in <c>dapr_component_pubsub_ingress_count</c>.
    /// </summary>
    public async Task HandleAsync(TopicMessage message, CancellationToken cancellationToken)
    {
        using var prepared = Prepare(message);
        using var span = SidecarTelemetry.StartSpan(
            $"{subscription.Topic} deliver", ActivityKind.Consumer, settings.App.AppId,
            prepared.Document is null ? null : CloudEventEnvelope.Attribute(prepared.Envelope, "traceparent"),
            prepared.Document is null ? null : CloudEventEnvelope.Attribute(prepared.Envelope, "tracestate"));
        span?.SetTag("messaging.system", "dapr").SetTag("messaging.destination.name", subscription.Topic).SetTag("dapr.component", subscription.PubsubName);
        var started = Stopwatch.GetTimestamp();
        var status = "retry";
        try
        {
            status = await HandlePreparedAsync(message, prepared, cancellationToken);
        }
        finally
        {
            span?.SetTag("dapr.delivery.status", status);
            SidecarTelemetry.Delivered(settings.App.AppId, subscription.PubsubName, subscription.Topic, status, Stopwatch.GetElapsedTime(started));
        }
    }

    // Delivers a prepared message; the status daprd's metrics give it: success, retry (thrown back) or drop.
    private async Task<string> HandlePreparedAsync(TopicMessage message, PreparedMessage prepared, CancellationToken cancellationToken)
    {
        if (prepared.DropReason is { } reason)
        {
            await DropAsync(message, reason, cancellationToken);
            return "drop";
        }

        if (prepared.FailureReason is { } failure)
        {
            await FailAsync(message, failure, cancellationToken);
            return "drop";
        }

        var (body, envelope, route) = (prepared.Body, prepared.Envelope, prepared.Route!);
        DeliveryOutcome outcome;
        try
        {
            outcome = await retries.ExecuteAsync(async ct => await AttemptAsync(token => DeliverOnceAsync(body, envelope, route, token), ct), cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            outcome = DeliveryOutcome.Retry;
        }
        catch (CircuitOpenException)
        {
            // An open breaker is not retried (daprd): the delivery fails now, and the component redelivers it later.
            await FailAsync(message, "the component's inbound circuit breaker is open", cancellationToken);
            return "drop";
        }
        catch (FormatException e)
        {
            // An envelope whose data cannot be decoded never will be: drop it (dead-letter when set), as daprd does.
            await DropAsync(message, $"the envelope cannot be decoded ({SafeLog.Describe(e)})", cancellationToken);
            return "drop";
        }

        switch (outcome)
        {
            case DeliveryOutcome.Success:
                return "success";
            case DeliveryOutcome.Drop:
                await DropAsync(message, "the app answered DROP", cancellationToken);
                return "drop";
            default:
                await FailAsync(message, "retries are exhausted", cancellationToken);
                return "drop";
        }
    }

    /// <summary>
    /// A delivery that failed for good: dead-lettered when the subscription has a dead-letter topic, else thrown back
    /// to the component, which keeps the message for redelivery (so returning means it was dropped).
    /// </summary>
    internal async Task FailAsync(TopicMessage message, string reason, CancellationToken cancellationToken)
    {
        if (subscription.DeadLetterTopic is null)
        {
            throw new InvalidOperationException($"delivery of {message.Id} on {subscription.Topic} to {settings.App.AppId} will be retried: {reason}");
        }

        await DropAsync(message, reason, cancellationToken);
    }

    /// <summary>
    /// One delivery attempt under the component's inbound circuit breaker, if it has one: refused while it is open
    /// (<see cref="CircuitOpenException"/>), and a RETRY answer or a failed attempt counts as a failure.
    /// </summary>
    internal async Task<DeliveryOutcome> AttemptAsync(Func<CancellationToken, Task<DeliveryOutcome>> attempt, CancellationToken cancellationToken)
    {
        if (breaker is null)
        {
            return await attempt(cancellationToken);
        }

        var entered = breaker.Enter();
        var outcome = DeliveryOutcome.Retry;
        try
        {
            outcome = await attempt(cancellationToken);
            return outcome;
        }
        finally
        {
            breaker.Exit(entered, outcome != DeliveryOutcome.Retry);
        }
    }

    /// <summary>
    /// What the app receives for <paramref name="message"/>: the stored envelope as is, or for rawPayload one
    /// synthesized around the raw bytes; and its route. Or why it is dropped: not a CloudEvent, expired, no route.
    /// </summary>
    internal PreparedMessage Prepare(TopicMessage message)
    {
        var body = subscription.RawPayload
            ? JsonSerializer.SerializeToUtf8Bytes(CloudEventEnvelope.SynthesizeForRaw(message.Data.Span, message.Id, subscription.PubsubName, subscription.Topic))
            : message.Data;
        var document = CloudEventEnvelope.TryParse(body);
        if (document is null)
        {
            return PreparedMessage.Dropped("the message is not a CloudEvent");
        }

        var envelope = document.RootElement;
        if (CloudEventEnvelope.IsExpired(envelope, settings.Time.GetUtcNow()))
        {
            document.Dispose();
            return PreparedMessage.Dropped("the message expired");
        }

        // grpc apps may subscribe without routes: daprd then delivers with an empty path.
        string? route;
        try
        {
            route = subscription.Rules.FirstOrDefault(r => RouteMatcher.Matches(r.Match, envelope))?.Path ?? subscription.DefaultRoute;
        }
        catch (RouteEvaluationException e)
        {
            document.Dispose();
            return PreparedMessage.Failed(e.Message);
        }

        if (route is null || (route.Length == 0 && settings.App.Protocol != "grpc"))
        {
            document.Dispose();
            return PreparedMessage.Dropped("no route matches");
        }

        return new PreparedMessage(body, document, route, null);
    }

    private async Task<DeliveryOutcome> DeliverOnceAsync(ReadOnlyMemory<byte> body, JsonElement envelope, string route, CancellationToken cancellationToken)
    {
        try
        {
            return settings.App.Protocol == "grpc"
                ? await DeliverGrpcAsync(envelope, route, cancellationToken)
                : await DeliverHttpAsync(body, envelope, route, cancellationToken);
        }
        catch (Exception e) when (IsFailedAttempt(e, cancellationToken))
        {
            logger.LogWarning("Delivery on {Topic} to {Route} failed: {Error}", subscription.Topic, route, SafeLog.Describe(e));
            return DeliveryOutcome.Retry;
        }
    }

    private async Task<DeliveryOutcome> DeliverHttpAsync(ReadOnlyMemory<byte> body, JsonElement envelope, string route, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.App.BaseUri, route.TrimStart('/')))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEventEnvelope.ContentType);
        // The delivery span's context when tracing is on (HttpClient would add the same), else the publisher's.
        if ((Activity.Current?.Id ?? CloudEventEnvelope.Attribute(envelope, "traceparent")) is { Length: > 0 } traceparent)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        using var response = await channels.HttpFor(settings.App).SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return DeliveryOutcome.Drop;
        }

        if (!response.IsSuccessStatusCode)
        {
            return DeliveryOutcome.Retry;
        }

        var reply = await response.Content.ReadAsStringAsync(cancellationToken);
        string? status;
        try
        {
            status = reply.Length == 0 ? null : JsonNode.Parse(reply) is JsonObject o ? o["status"]?.GetValue<string>() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            status = null;
        }

        return status?.ToUpperInvariant() switch
        {
            null or "" or "SUCCESS" => DeliveryOutcome.Success,
            "DROP" => DeliveryOutcome.Drop,
            _ => DeliveryOutcome.Retry,
        };
    }

    private async Task<DeliveryOutcome> DeliverGrpcAsync(JsonElement envelope, string route, CancellationToken cancellationToken)
    {
        var request = new TopicEventRequest
        {
            Id = CloudEventEnvelope.Attribute(envelope, "id") ?? "",
            Source = CloudEventEnvelope.Attribute(envelope, "source") ?? "",
            Type = CloudEventEnvelope.Attribute(envelope, "type") ?? "",
            SpecVersion = CloudEventEnvelope.Attribute(envelope, "specversion") ?? "1.0",
            DataContentType = CloudEventEnvelope.Attribute(envelope, "datacontenttype") ?? "",
            Data = ByteString.CopyFrom(CloudEventEnvelope.DataOf(envelope)),
            Topic = subscription.Topic,
            PubsubName = subscription.PubsubName,
            Path = route,
        };
        try
        {
            var response = await channels.Callback(settings.App).OnTopicEventAsync(request, cancellationToken: cancellationToken);
            return response.Status switch
            {
                TopicEventResponse.Types.TopicEventResponseStatus.Success => DeliveryOutcome.Success,
                TopicEventResponse.Types.TopicEventResponseStatus.Drop => DeliveryOutcome.Drop,
                _ => DeliveryOutcome.Retry,
            };
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return DeliveryOutcome.Drop;
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/> is an attempt that reached nothing or timed out (so the app's answer is RETRY),
    /// rather than the delivery being stopped.
    /// </summary>
    internal static bool IsFailedAttempt(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or RpcException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Dead-letters <paramref name="message"/> when the subscription has a dead-letter topic, else logs and discards it.</summary>
    internal async Task DropAsync(TopicMessage message, string reason, CancellationToken cancellationToken)
    {
        if (subscription.DeadLetterTopic is null)
        {
            logger.LogWarning("Dropped message {Id} on {Topic}: {Reason}", message.Id, subscription.Topic, reason);
            return;
        }

        // The dead-letter topic receives the original bytes unchanged, as daprd does.
        await pubsub.PublishAsync(subscription.DeadLetterTopic, message.Data, message.Metadata, cancellationToken);
        logger.LogWarning("Message {Id} on {Topic} went to dead-letter topic {DeadLetter}: {Reason}", message.Id, subscription.Topic, subscription.DeadLetterTopic, reason);
    }

    private static ResiliencePipeline<DeliveryOutcome> BuildRetries(TargetPolicies? policies, TimeProvider time)
    {
        // Backoff delays and attempt timeouts run on the sidecar's clock.
        var builder = new ResiliencePipelineBuilder<DeliveryOutcome> { TimeProvider = time };
        if (policies?.Retry is { } retry && retry.MaxRetries != 0)
        {
            builder.AddRetry(new RetryStrategyOptions<DeliveryOutcome>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result == DeliveryOutcome.Retry || args.Outcome.Exception is TimeoutRejectedException),
                MaxRetryAttempts = retry.MaxRetries < 0 ? int.MaxValue : retry.MaxRetries,
                Delay = retry.Duration,
                MaxDelay = retry.Exponential ? retry.MaxInterval : null,
                BackoffType = retry.Exponential ? DelayBackoffType.Exponential : DelayBackoffType.Constant,
                UseJitter = false,
            });
        }

        if (policies?.Timeout is { } timeout)
        {
            builder.AddTimeout(timeout);
        }

        return builder.Build();
    }
}

/// <summary>A message made ready for delivery, or the reason it is dropped instead.</summary>
/// <param name="Body">The envelope the app receives.</param>
/// <param name="Document">The parsed envelope; null when dropped.</param>
/// <param name="Route">The path it goes to; null when dropped.</param>
/// <param name="DropReason">Why it is not delivered; null when it is.</param>
/// <param name="FailureReason">Why it cannot be delivered now (a routing rule fails on it): retried or dead-lettered.</param>
internal sealed record PreparedMessage(ReadOnlyMemory<byte> Body, JsonDocument? Document, string? Route, string? DropReason, string? FailureReason = null) : IDisposable
{
    /// <summary>The parsed envelope.</summary>
    public JsonElement Envelope => Document!.RootElement;

    /// <summary>A message that is not delivered, with why.</summary>
    public static PreparedMessage Dropped(string reason) => new(ReadOnlyMemory<byte>.Empty, null, null, reason);

    /// <summary>A message that cannot be delivered now, with why.</summary>
    public static PreparedMessage Failed(string reason) => new(ReadOnlyMemory<byte>.Empty, null, null, null, reason);

    /// <inheritdoc />
    public void Dispose() => Document?.Dispose();
}
