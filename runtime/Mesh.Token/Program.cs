using System.CommandLine;
using Mesh.DevTokens;

// mesh-token (`mesh token` once mesh runs its plug-ins): prints a development access token for a partner client,
// signed by the dev issuer key under .mesh/ that the gateway trusts in Development only. Exit 0 printed, 2 bad options.
var client = new Option<string>("--client", "-c") { Description = "The partner client id, e.g. supplier-acme", Required = true };
var scopes = new Option<string[]>("--scope", "-s") { Description = "A scope to grant, e.g. procurement.invoices.write (repeat for more)", AllowMultipleArgumentsPerToken = true };
var lifetime = new Option<int>("--lifetime") { Description = "Minutes the token is valid", DefaultValueFactory = _ => 60 };
var keyFile = new Option<string?>("--key-file") { Description = "The dev signing key (default: .mesh/dev-issuer/signing-key.json of the repository; created at first use)" };
var audience = new Option<string>("--audience") { Description = "The audience", DefaultValueFactory = _ => DevSigningKey.Audience };
var root = new RootCommand("mesh-token: prints a development access token for a partner client (trusted by the gateway in Development only)")
{
    client, scopes, lifetime, keyFile, audience,
};
root.SetAction(result =>
{
    if (result.GetValue(lifetime) is <= 0 or > 24 * 60)
    {
        Console.Error.WriteLine("mesh-token: --lifetime must be 1 to 1440 minutes");
        return 2;
    }

    var path = result.GetValue(keyFile) ?? DevSigningKey.DefaultPath();
    var key = DevSigningKey.LoadOrCreate(path);
    var granted = (result.GetValue(scopes) ?? []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    Console.WriteLine(PartnerTokens.Mint(key, result.GetValue(client)!, granted, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(result.GetValue(lifetime)), audience: result.GetValue(audience)!));
    return 0;
});
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? Report(parsed) : parsed.Invoke();

static int Report(ParseResult parsed)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"mesh-token: {error.Message}");
    }

    return 2;
}
