using System.Text;
using Mesh.Contracts.Ingest.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Ingest.Hl7v2;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mllp;
using Mesh.Scenarios;
using StackExchange.Redis;

namespace Mesh.Ingest.Tests.Hl7v2;

/// <summary>HL7 v2 over MLLP into the real mesh: ACKs, the flow it feeds, resends, the exception queue and the encounter context.</summary>
[Collection(IngestCollection.Name)]
public sealed class MllpIntakeTests(IngestMesh mesh)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task DftP03OverMllp_EndsAsAReconciledInventoryToChargeCase()
    {
        var seeded = await mesh.SeedAsync(Run());
        var control = $"{seeded.Run}-dft";
        var dft = Hl7Messages.Dft(control, seeded.Department, $"V{seeded.Run}", Hl7Messages.Pid3($"MRN{seeded.Run}"), (seeded.Items[0].ChargeCode, "2"), (seeded.Items[1].ChargeCode, "1"));
        await using var client = await mesh.ConnectAsync();

        var ack = Ack(await client.SendAsync(dft, CancellationToken.None));
        var ids = EventIds("hl7v2", control, 2);
        var cases = await mesh.Scenario.AwaitSettledAsync(ids, Settle, null, CancellationToken.None);
        var expected = ids.Select((id, i) => new ItemConsumed
        {
            Context = new EventContext { EventId = id },
            Item = seeded.Items[i].Name,
            Location = seeded.Location.Name,
            Quantity = Quantity.Of(i == 0 ? 2 : 1, "EA"),
        }).ToList();
        var catalog = new SeededCatalog(seeded.Run, seeded.Items, [seeded.Location], seeded.Items.ToDictionary(i => InventoryToChargeScenario.BalanceName(seeded.Location.Name, i.Name), _ => 20m));
        var report = await mesh.Scenario.ReconcileAsync(catalog, expected, 0, cases, CancellationToken.None);

        Assert.True(ack.Value(null, Hl7Path.Parse("MSA-1")) == "AA", ack.Text);
        Assert.Equal(control, ack.Value(null, Hl7Path.Parse("MSA-2")));
        Assert.True(report.Balances, report.Format());
        Assert.Equal(2, report.Completed);
        Assert.Equal(2, report.ChargesCaptured);
        Assert.Equal(2, report.ErpPostings);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(18m, await mesh.OnHandAsync(seeded, seeded.Items[0]));
    }

    [Fact]
    public async Task Resend_OfAnAcceptedMessage_IsAcknowledgedAgainWithNoSecondEvent()
    {
        var seeded = await mesh.SharedAsync();
        var control = $"{Run()}-resend";
        var dft = Hl7Messages.Dft(control, seeded.Department, "VRESEND", Hl7Messages.Pid3("MRN777"), (seeded.Items[0].ChargeCode, "1"));
        await using var client = await mesh.ConnectAsync();
        await using var other = await mesh.ConnectAsync();

        var first = Ack(await client.SendAsync(dft, CancellationToken.None));
        // The interface engine did not see the ACK and sends it again, on the same and on a new connection.
        var again = await Task.WhenAll(client.SendAsync(dft, CancellationToken.None), other.SendAsync(dft, CancellationToken.None));
        var published = (await mesh.PublishedAsync("inventory.item.consumed")).Count(e => (string?)e["id"] == EventIds("hl7v2", control, 1)[0]);

        Assert.Equal("AA", first.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.All(again, a => Assert.Equal("AA", Ack(a).Value(null, Hl7Path.Parse("MSA-1"))));
        Assert.Equal(1, published);
    }

    public static TheoryData<string, string, int, string> BadInput => new()
    {
        // name, what is sent (see Payload), MSA-1, ERR-3 (or "" when there is no ERR)
        { "missing MSH", "missing-msh", 0, "100" },
        { "wrong delimiters", "wrong-delimiters", 0, "102" },
        { "binary garbage in a frame", "binary", 0, "100" },
        { "a truncated frame", "truncated", 0, "100" },
        { "an oversized message", "oversized", 0, "207" },
        { "an unknown message type (nHapi OML^O21 sample)", "oml", 0, "200" },
        { "no control id (nHapi OML^O21 sample)", "oml-no-control-id", 0, "101" },
        { "an unknown code", "unknown-code", 1, "103" },
        { "a patient without MRN", "no-mrn", 1, "101" },
        { "a quantity that is not a number", "bad-quantity", 1, "102" },
        { "an unsupported HL7 version", "version", 1, "102" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task BadInput_GetsAPreciseAckAndTheConnectionSurvives(string name, string payload, int ackCode, string errorCode)
    {
        var seeded = await mesh.SharedAsync();
        var control = $"{Run()}-bad";
        await using var client = await mesh.ConnectAsync();

        // The next message follows at once: a cut-off frame is only known as such when the next start block arrives.
        await client.WriteRawAsync(Payload(payload, seeded, control), CancellationToken.None);
        await client.WriteRawAsync(Frame(Hl7Messages.Dft($"{control}-next", seeded.Department, "VNEXT", Hl7Messages.Pid3("MRN1"), (seeded.Items[2].Gtin, "1"))), CancellationToken.None);
        var answer = await client.ReadAckAsync(CancellationToken.None);
        var following = await client.ReadAckAsync(CancellationToken.None);

        var ack = Ack(answer!);
        var next = Ack(following!);
        Assert.True(ack.Value(null, Hl7Path.Parse("MSA-1")) == (ackCode == 0 ? "AR" : "AE"), $"{name}: {answer}");
        Assert.True(ack.Value(null, Hl7Path.Parse("ERR-3.1")) == errorCode, $"{name}: {answer}");
        Assert.False(string.IsNullOrEmpty(ack.Value(null, Hl7Path.Parse("MSA-3"))), $"{name}: MSA-3 should give the reason");
        Assert.DoesNotContain("MRN", ack.Value(null, Hl7Path.Parse("MSA-3")), StringComparison.Ordinal);
        Assert.True(next.Value(null, Hl7Path.Parse("MSA-1")) == "AA", $"the message after {name}: {following}");
    }

    [Fact]
    public async Task UnknownCode_IsAnsweredAeNamingTheFieldAndQueued_AndReplaysOnceMasterDataHasIt()
    {
        var seeded = await mesh.SeedAsync(Run());
        var control = $"{seeded.Run}-unknown";
        var code = $"{seeded.Run}-NEW";
        var dft = Hl7Messages.Dft(control, seeded.Department, $"V{seeded.Run}", Hl7Messages.Pid3($"MRN{seeded.Run}"), (code, "1"));
        await using var client = await mesh.ConnectAsync();

        var ack = Ack(await client.SendAsync(dft, CancellationToken.None));
        var entry = (await mesh.Operator.ListIngestExceptionsAsync(new ListIngestExceptionsRequest { State = IngestExceptionState.Open, PageSize = 1000 })).IngestExceptions.Single(e => e.ControlId == control);
        var stillUnknown = await mesh.Operator.ReplayIngestExceptionAsync(new ReplayIngestExceptionRequest { Name = entry.Name });
        var item = Supply.Storeroom[2].ToItem($"MPN-{seeded.Run}-new");
        item.ChargeCode = code;
        var created = await mesh.Clients.Items.CreateItemAsync(new Mesh.Contracts.MasterData.V1.CreateItemRequest { ItemId = $"{seeded.Run}-new", Item = item });
        await mesh.StockAsync(seeded.Location.Name, created, 5, seeded.Run);
        var resolved = await mesh.Operator.ReplayIngestExceptionAsync(new ReplayIngestExceptionRequest { Name = entry.Name });
        var outcome = await mesh.Scenario.WaitForCaseAsync(resolved.EventIds.Single(), c => c.State != CaseState.Running, Settle, CancellationToken.None);
        var resend = Ack(await client.SendAsync(dft, CancellationToken.None));

        Assert.Equal(("AE", "103", "FT1", "7"), (ack.Value(null, Hl7Path.Parse("MSA-1")), ack.Value(null, Hl7Path.Parse("ERR-3.1")), ack.Value(null, Hl7Path.Parse("ERR-2.1")), ack.Value(null, Hl7Path.Parse("ERR-2.3"))));
        Assert.Contains("FT1-7.1: no item in master data has this charge code or GTIN", ack.Value(null, Hl7Path.Parse("MSA-3")), StringComparison.Ordinal);
        Assert.Equal(("DFT^P03", "FT1-7.1", code, "hl7v2.dft_p03@1"), (entry.MessageType, entry.Location, entry.UnresolvedCode, entry.Mapping));
        Assert.Equal((IngestExceptionState.Open, 1), (stillUnknown.State, stillUnknown.ReplayCount));
        Assert.Equal((IngestExceptionState.Resolved, 2), (resolved.State, resolved.ReplayCount));
        Assert.Equal(EventIds("hl7v2", control, 1), resolved.EventIds);
        Assert.Equal(CaseState.Completed, outcome.State);
        Assert.Equal("AA", resend.Value(null, Hl7Path.Parse("MSA-1")));
    }

    [Fact]
    public async Task OperatorApi_OverHttpJson_ListsTheOpenExceptions()
    {
        var seeded = await mesh.SharedAsync();
        var control = $"{Run()}-json";
        await using var client = await mesh.ConnectAsync();
        await client.SendAsync(Hl7Messages.Dft(control, seeded.Department, "VJSON", Hl7Messages.Pid3("MRN1"), ($"{control}-NOPE", "1")), CancellationToken.None);

        using var response = await mesh.Http.GetAsync("v1/exceptions?state=INGEST_EXCEPTION_STATE_OPEN&pageSize=1000");
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var entry = body["ingestExceptions"]!.AsArray().Single(e => (string?)e!["controlId"] == control)!;
        Assert.Equal("FT1-7.1", (string?)entry["location"]);
        Assert.Equal("INGEST_EXCEPTION_STATE_OPEN", (string?)entry["state"]);
    }

    [Fact]
    public async Task DftWithoutMrn_TakesThePatientFromTheVisitsAdt()
    {
        var seeded = await mesh.SharedAsync();
        var run = Run();
        var mrn = $"MRN{run}";
        await using var client = await mesh.ConnectAsync();

        var adt = Ack(await client.SendAsync(Hl7Messages.Adt("A01", $"{run}-adt", mrn, $"V{run}"), CancellationToken.None));
        var dft = Ack(await client.SendAsync(Hl7Messages.Dft($"{run}-dft", seeded.Department, $"V{run}", $"PI{run}^^^PERIOP^PI", (seeded.Items[2].Gtin, "1")), CancellationToken.None));
        var id = EventIds("hl7v2", $"{run}-dft", 1)[0];
        var published = (await mesh.PublishedAsync("inventory.item.consumed")).Single(e => (string?)e["id"] == id);

        Assert.Equal("AA", adt.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.Equal("AA", dft.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.Equal(mrn, (string?)published["data"]!["patient"]!["mrn"]);
        Assert.Equal($"V{run}", (string?)published["data"]!["patient"]!["encounterId"]);
        Assert.Equal("urn:oid:2.16.840.1.113883.19.5", (string?)published["data"]!["patient"]!["mrnSystem"]);
    }

    [Fact]
    public async Task EveryInboundMessage_IsStoredRawWithTheRetentionTtl_BeforeItsAck()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(mesh.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var before = server.Keys(pattern: "ingest||raw:*").Select(k => (string)k!).ToHashSet();
        await using var client = await mesh.ConnectAsync();

        await client.SendAsync("this is not HL7\r"u8.ToArray(), CancellationToken.None);
        var stored = server.Keys(pattern: "ingest||raw:*").Select(k => (string)k!).Where(k => !before.Contains(k)).ToList();

        var key = Assert.Single(stored);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(1), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task StalledConnectionInsideAFrame_DoesNotHoldUpOtherConnections()
    {
        var seeded = await mesh.SharedAsync();
        await using var stalled = await mesh.ConnectAsync();
        await stalled.WriteRawAsync(new byte[] { MllpFramer.StartBlock }.Concat("MSH|^~\\&|PERIOP|MAIN"u8.ToArray()).ToArray(), CancellationToken.None);
        await using var client = await mesh.ConnectAsync();

        var ack = Ack(await client.SendAsync(Hl7Messages.Dft($"{Run()}-other", seeded.Department, "V1", Hl7Messages.Pid3("MRN1"), (seeded.Items[2].Gtin, "1")), CancellationToken.None));

        Assert.Equal("AA", ack.Value(null, Hl7Path.Parse("MSA-1")));
    }

    private static byte[] Payload(string kind, Seeded seeded, string control)
    {
        string Dft(string pid3, string code, string quantity) => Hl7Messages.Dft(control, seeded.Department, "VBAD", pid3, (code, quantity));
        var oml = TestData.Text("hl7v2/nhapi-oml_o21-messages.txt").Split("\n\n");
        return kind switch
        {
            "missing-msh" => Frame("PID|1||X^^^^MR\rPV1|1|I\r"),
            "wrong-delimiters" => Frame($"MSH|^^\\&|PERIOP|MAIN|MESH|HUB|20261206||DFT^P03|{control}|P|2.5.1\r"),
            "binary" => MllpFramer.Wrap([.. Enumerable.Range(0, 512).Select(i => (byte)(i * 37 % 251 + 1)).Where(b => b is not (0x0B or 0x1C))]),
            "truncated" => [MllpFramer.StartBlock, .. Encoding.ASCII.GetBytes($"MSH|^~\\&|PERIOP|MAIN|MESH|HUB|20261206||DFT^P03|{control}|P|2.5.1\rPID|1")],
            "oversized" => Frame(Dft(Hl7Messages.Pid3("MRN1"), seeded.Items[0].ChargeCode, "1") + "NTE|1||" + new string('x', 1_200_000) + "\r"),
            "oml" => Frame(oml[0].Replace('\n', '\r')),
            "oml-no-control-id" => Frame(oml[4].Replace('\n', '\r')),
            "unknown-code" => Frame(Dft(Hl7Messages.Pid3("MRN1"), $"{control}-UNKNOWN", "1")),
            "no-mrn" => Frame(Dft("PI0001^^^PERIOP^PI", seeded.Items[0].ChargeCode, "1")),
            "bad-quantity" => Frame(Dft(Hl7Messages.Pid3("MRN1"), seeded.Items[0].ChargeCode, "two")),
            "version" => Frame(Dft(Hl7Messages.Pid3("MRN1"), seeded.Items[0].ChargeCode, "1").Replace("|P|2.5.1\r", "|P|2.1\r", StringComparison.Ordinal)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static byte[] Frame(string message) => MllpFramer.Wrap(Encoding.UTF8.GetBytes(message));

    private static Hl7Message Ack(string text) => Hl7Parser.Parse(text).Message ?? throw new InvalidOperationException($"the ACK does not parse: {text}");

    private static List<string> EventIds(string format, string control, int count)
    {
        var key = IntakeKeys.Of(format, Hl7Messages.Facility, control);
        return [.. Enumerable.Range(0, count).Select(i => IntakeKeys.EventId(key, i))];
    }

    private static string Run() => $"r{Guid.NewGuid():N}"[..9];
}
