{#- Phone numbers without a country code are read in the contact's own country. -#}
{%- set phone_region = "coalesce(country_code, '" ~ var('default_phone_region') ~ "')" -%}
{#- Optional fields whose value breaks the contract load (flagged); here they read as NULL. -#}
{%- set country_code = "upper(trim(" ~ json_text('payload', '$.country_code') ~ "))" -%}

with

source as (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.first_name') }} as first_name,
        {{ json_text('payload', '$.last_name') }} as last_name,
        {{ json_text('payload', '$.date_of_birth') }} as date_of_birth,
        {{ json_text('payload', '$.address_line1') }} as address_line,
        {{ json_text('payload', '$.postal_code') }} as postal_code,
        {{ json_text('payload', '$.city') }} as city,
        case
            when {{ matches_fully(country_code, '[A-Z]{2}') }} then {{ country_code }}
        end as country_code,
        {{ json_text('payload', '$.email') }} as email,
        {{ json_text('payload', '$.mobile_phone') }} as mobile_phone,
        {{ json_text('payload', '$.phone') }} as main_phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

phones as (
    select
        *,
        {{ normalize_phone('mobile_phone', phone_region) }} as mobile_e164,
        {{ normalize_phone('main_phone', phone_region) }} as main_e164
    from deduplicated
),

final as (
    select
        concat('crm__contacts:', record_key) as record_id,
        'crm__contacts' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name('first_name') }} as first_name,
        {{ normalize_name('last_name') }} as last_name,
        try_cast(nullif(trim(date_of_birth), '') as date) as date_of_birth,
        {{ normalize_address('address_line') }} as address_line,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        {{ normalize_name('city') }} as city,
        country_code,
        {{ normalize_email('email') }} as email,
        -- The mobile is the contact's own; the main number is often the household's landline.
        coalesce(mobile_e164, main_e164) as phone,
        case when mobile_e164 is not null then main_e164 end as secondary_phone
    from phones
)

select * from final
