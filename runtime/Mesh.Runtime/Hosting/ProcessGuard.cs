using System.Diagnostics;
using System.Globalization;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// Makes the apps of a <c>mesh run</c> die with it, even when mesh itself is killed (SIGKILL, OOM) and has no chance to
/// stop them: each app runs in a process group of its own (<c>setsid</c>), which holds the app's whole tree (the
/// <c>dotnet run</c> of a run file and the app process it starts), and a small watchdog process (<c>sh</c>) reads
/// mesh's list of those groups on a pipe. When the pipe closes without a goodbye (mesh is gone), the watchdog sends
/// each group SIGTERM, then SIGKILL after a grace period, so no app is left holding its port for the next run.
/// </summary>
/// <remarks>
/// Not PR_SET_PDEATHSIG (<c>setpriv --pdeathsig</c>): Linux sends it when the thread that forked the child exits, and
/// .NET starts processes from thread-pool threads that come and go; it also would not pass to the app that
/// <c>dotnet run</c> starts. A closed pipe is certain: the kernel closes it when mesh dies, however it dies.
/// Linux and other Unix systems with setsid; elsewhere (Windows) apps are not guarded.
/// </remarks>
internal sealed class ProcessGuard : IDisposable
{
    // Lines: "+<group>" adds a group, "-<group>" removes one whose app ended, "stop" is mesh's goodbye. It ignores the
    // terminal's Ctrl-C (mesh stops the apps itself then) and acts only when its input ends without "stop".
    private const string Watchdog = """
        trap '' INT HUP
        groups=' '
        while read -r line; do
          case "$line" in
            stop) exit 0 ;;
            +*) groups="$groups${line#+} " ;;
            -*) kept=' '; for g in $groups; do [ "$g" = "${line#-}" ] || kept="$kept$g "; done; groups=$kept ;;
          esac
        done
        for g in $groups; do kill -TERM -$g 2>/dev/null; done
        i=0
        while [ $i -lt $1 ]; do
          alive=''
          for g in $groups; do kill -0 -$g 2>/dev/null && alive=1; done
          [ -z "$alive" ] && exit 0
          sleep 0.2
          i=$((i + 1))
        done
        for g in $groups; do kill -KILL -$g 2>/dev/null; done
        """;

    private readonly Process watchdog;
    private readonly string setsid;
    private readonly object gate = new();

    private ProcessGuard(Process watchdog, string setsid)
    {
        this.watchdog = watchdog;
        this.setsid = setsid;
    }

    /// <summary>
    /// Starts the watchdog; null where apps cannot be guarded (Windows, no <c>setsid</c> or <c>sh</c> on PATH). The
    /// groups get <paramref name="grace"/> between SIGTERM and SIGKILL.
    /// </summary>
    public static ProcessGuard? Start(TimeSpan grace)
    {
        if (OperatingSystem.IsWindows() || Executables.Find("setsid") is not { } setsid || Executables.Find("sh") is not { } shell)
        {
            return null;
        }

        var start = new ProcessStartInfo(shell) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in new[] { "-c", Watchdog, "mesh-guard", ((int)Math.Ceiling(grace.TotalSeconds * 5)).ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(start) is { } process ? new ProcessGuard(process, setsid) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The command that runs <paramref name="program"/> (a full path) in a new session and process group of its own.</summary>
    public IReadOnlyList<string> InGroup(string program, IEnumerable<string> arguments) => [setsid, program, .. arguments];

    /// <summary>Watches the process group of <paramref name="processId"/> (its leader, started through <see cref="InGroup"/>).</summary>
    public void Watch(int processId) => Tell($"+{processId}");

    /// <summary>Stops watching a group whose processes are gone.</summary>
    public void Forget(int processId) => Tell($"-{processId}");

    /// <summary>Tells the watchdog mesh stopped the apps itself, and releases it.</summary>
    public void Dispose()
    {
        Tell("stop");
        lock (gate)
        {
            try
            {
                watchdog.StandardInput.Close();
            }
            catch (IOException)
            {
                // It is gone already.
            }
        }

        watchdog.WaitForExit(TimeSpan.FromSeconds(5));
        watchdog.Dispose();
    }

    private void Tell(string line)
    {
        lock (gate)
        {
            try
            {
                watchdog.StandardInput.WriteLine(line);
                watchdog.StandardInput.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The watchdog is gone (killed with mesh's process tree): nothing left to tell.
            }
        }
    }
}

/// <summary>Programs on PATH, found as a shell finds them.</summary>
internal static class Executables
{
    /// <summary>The full path of <paramref name="program"/> in the first PATH folder that holds it; null when none does.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
