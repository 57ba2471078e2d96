using Mesh.Runtime.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Cli;

public sealed class SidecarLogTests
{
    [Fact]
    public void CreateFactory_InfoLevel_PrefixesEveryLineAndHidesDebugAndFrameworkInfo()
    {
        var output = new CapturedOutput();
        using var factory = SidecarLog.CreateFactory("orders", "info", output.Writer);

        var sidecar = factory.CreateLogger("Mesh.Runtime.Sidecar.PubSub.Delivery");
        sidecar.LogInformation("delivered {Count} messages", 2);
        sidecar.LogDebug("hidden");
        sidecar.LogError(new InvalidOperationException("boom"), "failed");
        var kestrel = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        kestrel.LogInformation("hidden too");
        kestrel.LogWarning("shown");

        var lines = output.Lines;
        Assert.Equal("== DAPR - orders == info [Delivery] delivered 2 messages", lines[0]);
        Assert.Equal("== DAPR - orders == error [Delivery] failed", lines[1]);
        Assert.Equal("== DAPR - orders == error [Delivery] System.InvalidOperationException: boom", lines[2]);
        Assert.Equal("== DAPR - orders == warn [Kestrel] shown", lines[^1]);
        Assert.All(lines, line => Assert.StartsWith("== DAPR - orders == ", line, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains("hidden", StringComparison.Ordinal));
    }

    [Fact]
    public void CreateFactory_DebugLevel_ShowsFrameworkInfoToo()
    {
        var output = new CapturedOutput();
        using var factory = SidecarLog.CreateFactory(null, "debug", output.Writer);

        factory.CreateLogger("Microsoft.Hosting.Lifetime").LogInformation("started");

        Assert.Equal(["== DAPR == info [Lifetime] started"], output.Lines);
    }
}
