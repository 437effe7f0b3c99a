{#-
    The respondent of a survey: email and phone, the phone read in the default phone region like
    stg_surveys__responses does.
-#}
with

source as (
    select * from {{ source('surveys', 'responses') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.respondent.email') }} as email,
        {{ json_text('payload', '$.respondent.phone') }} as phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        concat('surveys__responses:', record_key) as record_id,
        'surveys__responses' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        cast(null as string) as first_name,
        cast(null as string) as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', "'" ~ var('default_phone_region') ~ "'") }} as phone,
        cast(null as string) as secondary_phone
    from deduplicated
)

select * from final
