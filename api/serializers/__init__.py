"""What the API reads and writes, one module per resource. Serializers only translate and
validate the shape of input; the services decide what is allowed and write."""
