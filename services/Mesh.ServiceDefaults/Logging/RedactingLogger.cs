using Google.Protobuf;
using Mesh.Contracts.Classification;
using Microsoft.Extensions.Logging;

namespace Mesh.ServiceDefaults.Logging;

/// <summary>
/// Wraps a logger so that protobuf messages passed as template arguments or scopes reach the
/// providers with their PII and PHI fields redacted, as values and in the formatted text.
/// </summary>
internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull =>
        state switch
        {
            IMessage message => inner.BeginScope(Redaction.Redact(message)),
            IEnumerable<KeyValuePair<string, object?>> values when RedactedLogValues.NeedsRedaction(values) =>
                inner.BeginScope(new RedactedLogValues(values)),
            IEnumerable<KeyValuePair<string, object>> values when RedactedLogValues.NeedsRedaction(values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value))) =>
                inner.BeginScope(new RedactedLogValues(values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value)))),
            _ when RedactedLogValues.HoldsMessage(state, depth: 0) => inner.BeginScope(RedactedLogValues.RedactValue(state)!),
            _ => inner.BeginScope(state),
        };

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // Exception messages are free text that may quote patient data; providers see type and stack only.
        var safeException = exception is null ? null : WithheldException.Of(exception);
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values && RedactedLogValues.NeedsRedaction(values))
        {
            inner.Log(logLevel, eventId, new RedactedLogValues(values), safeException, static (s, _) => s.ToString());
            return;
        }

        inner.Log(logLevel, eventId, state, safeException, (s, _) => formatter(s, safeException));
    }
}
