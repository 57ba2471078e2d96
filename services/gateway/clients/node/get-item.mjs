// A partner's client that no one at Mesh wrote: the stock @grpc/grpc-js, with @grpc/proto-loader reading the
// contracts from proto/. It calls ItemService.GetItem (or ListItems) on the gateway with a bearer token and prints
// the answer as JSON, or {"code", "details"} of the error (exit 3).
//
//   node services/gateway/clients/node/get-item.mjs 127.0.0.1:5900 "$(mesh token ...)" items/gauze-4x4
//   node services/gateway/clients/node/get-item.mjs 127.0.0.1:5900 "$TOKEN" --list
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const [address, token, name] = process.argv.slice(2);
if (!address || !name) {
  console.error('usage: get-item.mjs <host:port> <token> <items/id | --list>');
  process.exit(2);
}

const definition = protoLoader.loadSync('mesh/masterdata/v1/item_service.proto', {
  includeDirs: [path.join(root, 'proto'), path.join(root, 'node_modules/google-proto-files')],
  longs: String,
  enums: String,
});
const { ItemService } = grpc.loadPackageDefinition(definition).mesh.masterdata.v1;
const client = new ItemService(address, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (token) {
  metadata.add('authorization', `Bearer ${token}`);
}

const done = (error, answer) => {
  client.close();
  if (error) {
    console.log(JSON.stringify({ code: error.code, details: error.details }));
    process.exit(3);
  }
  console.log(JSON.stringify(answer));
};
if (name === '--list') {
  client.listItems({ pageSize: 100 }, metadata, { deadline: Date.now() + 30000 }, done);
} else {
  client.getItem({ name }, metadata, { deadline: Date.now() + 30000 }, done);
}
