global using Google.Protobuf;
global using Grpc.Core;
global using Mesh.Contracts.Registry.V1;
