using System.Diagnostics;

namespace Mesh.Demo;

/// <summary>Progress lines of a demo, one per tenth done, so they read well in a terminal and in a CI log alike.</summary>
internal sealed class Progress(TextWriter console, string what, Stopwatch watch)
{
    private int lastShown = -1;

    /// <summary>Notes that <paramref name="done"/> of <paramref name="total"/> are done; writes a line when a new tenth is reached.</summary>
    public void Report(int done, int total)
    {
        var tenth = done * 10 / Math.Max(1, total);
        if (Interlocked.Exchange(ref lastShown, tenth) != tenth)
        {
            console.WriteLine($"mesh demo: {done}/{total} {what} ({watch.Elapsed.TotalSeconds:0.0}s)");
        }
    }
}
