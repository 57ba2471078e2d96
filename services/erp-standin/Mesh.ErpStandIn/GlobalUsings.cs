global using Mesh.ErpStandIn;
