"""fastavro's ``fastavro.io``: JSON and binary encoders/decoders."""
