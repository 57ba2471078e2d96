using System.Diagnostics;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>A thread-safe writer whose text tests can read while processes still write to it.</summary>
internal sealed class CapturedOutput
{
    private readonly StringWriter text = new();

    public CapturedOutput() => Writer = TextWriter.Synchronized(text);

    /// <summary>The writer to hand to the code under test.</summary>
    public TextWriter Writer { get; }

    /// <summary>The lines written so far.</summary>
    public string[] Lines => ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    // The synchronized writer locks on itself, so reading under the same lock never sees a half-written line.
    public override string ToString()
    {
        lock (Writer)
        {
            return text.ToString();
        }
    }

    /// <summary>Waits until <paramref name="fragment"/> has been written.</summary>
    public async Task WaitForAsync(string fragment, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (!ToString().Contains(fragment, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < patience, $"no '{fragment}' in: {this}");
            await Task.Delay(20);
        }
    }
}
