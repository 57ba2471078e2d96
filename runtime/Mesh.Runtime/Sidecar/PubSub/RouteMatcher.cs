using System.Collections.Concurrent;
using System.Text.Json;
using Cel;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>
/// Evaluates Dapr routing rules: a CEL expression over the variable <c>event</c>, the CloudEvent as a map (as
/// daprd declares it), e.g. <c>event.type == "payment.failed" &amp;&amp; event.data.amount > 100</c>. An empty
/// expression matches every event, as in daprd. Expressions are compiled once and cached.
/// </summary>
public static class RouteMatcher
{
    private static readonly CelEnvironment Environment = new([], "");
    private static readonly ConcurrentDictionary<string, CelProgramDelegate> Programs = new(StringComparer.Ordinal);

    /// <summary>Throws <see cref="FormatException"/> when the expression is not valid CEL; the message names the rule and where it fails.</summary>
    public static void Validate(string expression)
    {
        if (!string.IsNullOrWhiteSpace(expression))
        {
            Compile(expression);
        }
    }

    /// <summary>True when the envelope satisfies the expression.</summary>
    /// <exception cref="RouteEvaluationException">The rule fails on this event (a missing field, wrong types) or is not a boolean.</exception>
    public static bool Matches(string expression, JsonElement envelope)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return true;
        }

        var program = Compile(expression);
        object? result;
        try
        {
            result = program(new Dictionary<string, object?> { ["event"] = ToCel(envelope) });
        }
        catch (CelException e)
        {
            // daprd fails the delivery when a rule cannot be evaluated. Only the kind of failure is kept: the CEL
            // message may quote the event's values.
            throw new RouteEvaluationException($"routing rule '{expression}' cannot be evaluated on this event ({e.GetType().Name})");
        }

        return result as bool? ?? throw new RouteEvaluationException($"routing rule '{expression}' is not a boolean");
    }

    private static CelProgramDelegate Compile(string expression) => Programs.GetOrAdd(expression, static text =>
    {
        try
        {
            return Environment.Compile(text);
        }
        catch (CelException e)
        {
            throw new FormatException($"routing rule '{text}' is not valid CEL: {e.Message}");
        }
    });

    // The CloudEvent as CEL sees it in daprd: maps, lists, strings, numbers, booleans and null.
    private static object? ToCel(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => ToCel(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(ToCel).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var integer) ? integer : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>A routing rule failed on an event; the delivery is retried or dead-lettered, as a failed attempt is.</summary>
public sealed class RouteEvaluationException(string message) : Exception(message);
