using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.Testing;

namespace Mesh.Demo.Tests;

/// <summary>
/// The ingest app under <c>mesh run</c> on the repository's dapr.yaml and components, as production runs it: an HL7 v2
/// message sent over MLLP with the real sender (<c>Mesh.Ingest mllp-send</c>) is kept raw in the encrypted
/// patientstore, so Redis (or its AOF file) never holds the patient's identifiers in clear.
/// </summary>
public sealed class IngestAtRestTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    // A patient no other test uses, so a match can only come from this message.
    private const string Mrn = "MRN7300155";
    private const string Surname = "QUIXANO";

    [Fact]
    public async Task MllpMessage_UnderMeshRun_RawMessageKeptOnlyEncrypted()
    {
        await using var redis = await RedisServer.StartAsync();
        using var repository = new RepositoryMesh(redis.ConnectionString);
        using var mesh = MeshCommand.Start(repository.Folder, ["run", "-f", repository.RunFile]);
        await mesh.WaitForOutputAsync("you're up and running", Patience);

        // Its codes are unknown to the empty master data: the message is stored, answered AE, and waits on the
        // exception queue, which reads it back through the encrypted store.
        var file = Path.Combine(repository.Folder, "dft.hl7");
        await File.WriteAllTextAsync(file, string.Join('\n',
            "MSH|^~\\&|PERIOP|MAIN|MESH|HUB|20261207101500||DFT^P03^DFT_P03|AT-REST-0001|P|2.5.1",
            "EVN|P03|20261207101500",
            $"PID|1||{Mrn}^^^MAIN^MR||{Surname}^ALONSO||19470101|M",
            "PV1|1|I|OR3^^^MAIN||||||||||||||||VISIT7300155",
            "FT1|1|LINE-1||20261207093000||CG|999-0001^Unknown supply^CDM||Unknown supply|1|||OR3^Main OR 3|||||||rn-101|||ORD7300155"));
        // The app answers on its app port (what "up and running" waits for) a moment before its MLLP listener opens.
        var mllp = repository.Ports[("ingest", "Ingest__Mllp__Port")];
        await Poll.UntilAsync(() => Mesh.Runtime.Hosting.TcpProbe.ConnectsAsync("127.0.0.1", mllp, TimeSpan.FromSeconds(2), CancellationToken.None), Patience, () => $"ingest's MLLP listener did not open on 127.0.0.1:{mllp}:\n{mesh.Output}");
        // A sender resends what ingest turned away as not stored (AR, "resend it"): its store may answer a moment after
        // the listener opens.
        var (code, ack) = await SendAsync(mllp, file);
        for (var attempt = 1; attempt < 20 && ack.Contains("MSA|AR", StringComparison.Ordinal) && ack.Contains("resend it", StringComparison.Ordinal); attempt++)
        {
            (code, ack) = await SendAsync(mllp, file);
        }

        Assert.True(code == 1 && ack.Contains("MSA|AE", StringComparison.Ordinal), $"exit {code}\n{ack}");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{repository.Ports[("ingest", "Http")]}") };
        http.DefaultRequestHeaders.Add("dapr-api-token", repository.AppTokens["ingest"]);
        var exceptions = await http.GetFromJsonAsync<JsonObject>("/v1/exceptions");
        var exception = Assert.Single(exceptions!["ingestExceptions"]!.AsArray());
        Assert.Equal("AT-REST-0001", (string?)exception!["controlId"]);

        Assert.NotEmpty(await RedisScan.KeysAsync(redis.ConnectionString, "ingest||raw:"));
        var revealing = await RedisScan.KeysHoldingAsync(redis.ConnectionString, new Regex($"{Mrn}|{Surname}"));
        Assert.Empty(revealing);
    }

    // The operator's MLLP sender as a real process: its exit code and the acknowledgments it printed.
    private static async Task<(int Code, string Output)> SendAsync(int port, string file)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Repository.BuiltAssembly("services/ingest/Mesh.Ingest", "Mesh.Ingest"), "mllp-send", $"127.0.0.1:{port}", file })
        {
            start.ArgumentList.Add(argument);
        }

        using var sender = Process.Start(start)!;
        var output = sender.StandardOutput.ReadToEndAsync();
        var error = sender.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await sender.WaitForExitAsync(timeout.Token);
        return (sender.ExitCode, await output + await error);
    }
}
