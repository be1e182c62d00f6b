/// The NAL unit types the MP4 writer treats specially (ITU-T H.264 Table 7-1).
enum NALUnitType: UInt8 {
    case idrSlice = 5
    case sequenceParameterSet = 7
    case pictureParameterSet = 8

    /// The type of `unit`, from the low five bits of its header byte.
    static func of(_ unit: [UInt8]) -> UInt8 { (unit.first ?? 0) & 0x1F }
}
