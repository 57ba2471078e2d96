using System.Runtime.InteropServices;

namespace Mesh.Runtime.Hosting;

/// <summary>Graceful termination of child processes, which .NET's Process API cannot ask for.</summary>
public static class ProcessSignals
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM (to the process group -<paramref name="processId"/> when negative); false on Windows or when the signal could not be sent.</summary>
    public static bool Terminate(int processId) => !OperatingSystem.IsWindows() && Kill(processId, SigTerm) == 0;

    /// <summary>Sends SIGKILL to every process of the group <paramref name="groupId"/>; false on Windows or when none was there.</summary>
    public static bool KillGroup(int groupId) => !OperatingSystem.IsWindows() && Kill(-groupId, SigKill) == 0;

    // DllImport rather than LibraryImport: the generated stub would need unsafe code enabled for one blittable call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
}
