using System.Net.Sockets;
using System.Text;

namespace Mesh.Ingest.Mllp;

/// <summary>
/// <c>Mesh.Ingest mllp-send HOST:PORT FILE...</c>: sends HL7 v2 files over MLLP and prints each acknowledgment, so
/// an operator can try the listener without an interface engine. A file holds one message, or several separated
/// by blank lines; LF line ends are sent as CR, HL7's segment terminator. Exit 0 when every message got AA, 1 when
/// one got AE or AR, 2 when it cannot run.
/// </summary>
public static class MllpSendCommand
{
    /// <summary>Runs the command.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var colon = args.Length > 0 ? args[0].LastIndexOf(':') : -1;
        if (args.Length < 2 || colon <= 0 || !int.TryParse(args[0][(colon + 1)..], out var port))
        {
            error.WriteLine("mllp-send: usage: mllp-send HOST:PORT FILE... (e.g. mllp-send 127.0.0.1:2575 services/ingest/samples/dft_p03.hl7)");
            return 2;
        }

        try
        {
            await using var client = await MllpClient.ConnectAsync(args[0][..colon], port, CancellationToken.None);
            var worst = 0;
            foreach (var file in args[1..])
            {
                var text = (await File.ReadAllTextAsync(file)).Replace("\r\n", "\n", StringComparison.Ordinal);
                foreach (var message in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var ack = await client.SendAsync(Encoding.UTF8.GetBytes(message.Replace('\n', '\r') + "\r"), CancellationToken.None);
                    output.WriteLine(ack.TrimEnd('\r').Replace('\r', '\n'));
                    output.WriteLine();
                    worst = Math.Max(worst, ack.Contains("MSA|AA", StringComparison.Ordinal) ? 0 : 1);
                }
            }

            return worst;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            error.WriteLine($"mllp-send: {args[0]}: {e.Message}");
            return 2;
        }
    }
}
