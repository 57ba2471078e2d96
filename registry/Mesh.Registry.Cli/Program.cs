using Mesh.Registry.Cli;

return await RegistryCli.RunAsync(args, Console.Out, Console.Error);
