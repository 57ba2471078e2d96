namespace Mesh.ServiceDefaults.Logging;

/// <summary>
/// Stands in for an exception on its way to log providers: the original type, stack trace and inner
/// exceptions are kept, the message is withheld, because messages are free text that may quote PHI.
/// </summary>
internal sealed class WithheldException : Exception
{
    private readonly string? stackTrace;

    private WithheldException(Exception original)
        : base(
            $"{original.GetType().FullName}: message withheld (exception messages may contain PHI)",
            original.InnerException is null ? null : Of(original.InnerException))
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        stackTrace = original.StackTrace;
        HResult = original.HResult;
    }

    /// <summary>The type of the exception that was thrown.</summary>
    public string OriginalType { get; }

    /// <inheritdoc />
    public override string? StackTrace => stackTrace;

    /// <summary>The stand-in for <paramref name="exception"/> (itself when already one).</summary>
    public static Exception Of(Exception exception) => exception as WithheldException ?? new WithheldException(exception);

    /// <inheritdoc />
    public override string ToString() =>
        InnerException is null
            ? $"{Message}{Environment.NewLine}{StackTrace}"
            : $"{Message} ---> {InnerException}{Environment.NewLine}   --- End of inner exception stack trace ---{Environment.NewLine}{StackTrace}";
}
