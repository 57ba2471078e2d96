namespace Mesh.ErpStandIn;

/// <summary>How the stand-in misbehaves, so retries, queueing and idempotency are exercised for real.</summary>
public enum ChaosMode
{
    /// <summary>Answers normally.</summary>
    Normal,

    /// <summary>Answers after <see cref="ChaosSettings.DelayMs"/>.</summary>
    Slow,

    /// <summary>Answers 429 with Retry-After, as a rate-limited cloud API.</summary>
    Throttle,

    /// <summary>Answers 503.</summary>
    Unavailable,

    /// <summary>Drops connections without answering, as a host that is down.</summary>
    Down,

    /// <summary>Posts, then drops the connection before answering: the caller cannot know it landed.</summary>
    LoseReply,

    /// <summary>Refuses postings with 422 PERIOD_CLOSED, as an ERP does after the period is closed: retrying cannot help.</summary>
    Reject,
}

/// <summary>The chaos switch's state.</summary>
public sealed record ChaosSettings(ChaosMode Mode, int DelayMs = 0);

/// <summary>The current chaos settings, switchable at runtime, and how many requests each mode has met.</summary>
public sealed class Chaos
{
    private readonly long[] hits = new long[Enum.GetValues<ChaosMode>().Length];
    private volatile ChaosSettings settings = new(ChaosMode.Normal);

    /// <summary>Requests met by each mode other than Normal since start: what a chaos run waits on to move to its next phase.</summary>
    public IReadOnlyDictionary<ChaosMode, long> Hits =>
        Enum.GetValues<ChaosMode>().Where(mode => mode != ChaosMode.Normal).ToDictionary(mode => mode, mode => Interlocked.Read(ref hits[(int)mode]));

    /// <summary>Counts a request that met <paramref name="mode"/>.</summary>
    public void Hit(ChaosMode mode) => Interlocked.Increment(ref hits[(int)mode]);

    /// <summary>The settings in force.</summary>
    public ChaosSettings Settings
    {
        get => settings;
        set => settings = value;
    }
}
