using System.Runtime.InteropServices;

namespace Mesh.Runtime.Hosting;

/// <summary>Graceful termination of child processes, which .NET's Process API cannot ask for.</summary>
public static class ProcessSignals
{
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM; false on Windows or when the signal could not be sent.</summary>
    public static bool Terminate(int processId) => !OperatingSystem.IsWindows() && Kill(processId, SigTerm) == 0;

    // DllImport rather than LibraryImport: the generated stub would need unsafe code enabled for one blittable call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
}
