public enum NovitaMockPlaceholder {}
